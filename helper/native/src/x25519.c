// X25519 (RFC 7748) on raw 32-byte keys.
//
// Why in C: node:crypto only takes keys as KeyObjects, and importing one (from
// JWK, the cheapest format) plus diffieHellman's own overhead cost more than
// the curve arithmetic; a handshake responder does four X25519 operations per
// handshake, so that overhead bounded the handshake rate.
//
// x25519Primitive computes shared secrets on the first of these that reproduces
// RFC 7748's known answers at load: our AVX-512 IFMA ladders (x25519_ifma.c)
// where the CPU has them; OpenSSL's own curve primitive under the EVP layer
// where the host exports it (Node's statically linked OpenSSL 3 does; a shared
// libcrypto hides it, and Electron has no OpenSSL); else our portable ladder
// (x25519_ladder.c), so that a runtime without OpenSSL still has it. Public keys
// (x25519BaseFixed) always come from our fixed-base multiplication
// (x25519_base.c). Measured here: the IFMA ladder 22.6 µs per shared secret
// against OpenSSL's primitive's 42 µs in one process (medians of 5 x 20,000 on
// a busy machine), two at once (x25519IfmaPair) in 29 µs; public keys 25 µs
// against 57 µs through EVP.
//
// x25519 and x25519Base go through EVP, whose key objects and contexts are made
// and freed at every call (50 µs per shared secret), where the host's OpenSSL
// has it (see openssl_host.h): the independent reference in the tests.
#include <node_api.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu_features.h"
#include "napi_util.h"
#include "openssl_host.h"
#include "wipe.h"
#include "x25519.h"
#include "x25519_base.h"
#include "x25519_ifma.h"
#include "x25519_ladder.h"

enum { KEY_BYTES = 32 };

static bool all_zero(const uint8_t *bytes, size_t length) {
  uint8_t acc = 0;
  for (size_t i = 0; i < length; i++) acc |= bytes[i];
  return acc == 0;
}

// RFC 7748's base point, u = 9: X25519(k, 9) is the public key of k.
static const uint8_t BASE_POINT[KEY_BYTES] = {9};

// A private-key EVP_PKEY for derive only. OpenSSL computes the public key of a
// private key it imports alone, at a cost above a whole X25519 (measured: ~60 µs
// against ~43 µs), and derive never reads it, so a placeholder is stored instead.
static EVP_PKEY *derive_only_key(const openssl_x25519_api *evp, const uint8_t *private_key) {
  EVP_PKEY_CTX *ctx = evp->pkey_ctx_new_from_name(NULL, "X25519", NULL);
  EVP_PKEY *key = NULL;
  OSSL_PARAM params[] = {
      OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, (void *)private_key, KEY_BYTES),
      OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)BASE_POINT, KEY_BYTES),
      OSSL_PARAM_END,
  };
  if (ctx && evp->fromdata_init(ctx) == 1 && evp->fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) != 1) key = NULL;
  evp->pkey_ctx_free(ctx);
  return key;
}

// out = X25519(private_key, public_key); false when OpenSSL refuses or the result
// is all zeros (a low-order public key), which the protocol must reject. Only
// exported where openssl_x25519() found the functions.
static bool x25519_shared(const uint8_t *private_key, const uint8_t *public_key, uint8_t *out) {
  const openssl_x25519_api *evp = openssl_x25519();
  EVP_PKEY *own = derive_only_key(evp, private_key);
  EVP_PKEY *peer = evp->new_raw_public_key(EVP_PKEY_X25519, NULL, public_key, KEY_BYTES);
  EVP_PKEY_CTX *ctx = own ? evp->pkey_ctx_new(own, NULL) : NULL;
  size_t length = KEY_BYTES;
  // No peer validation: X25519 has nothing to validate; low order shows as a zero result.
  bool ok = ctx && peer && evp->derive_init(ctx) == 1 && evp->derive_set_peer(ctx, peer, 0) == 1 &&
            evp->derive(ctx, out, &length) == 1 && length == KEY_BYTES && !all_zero(out, KEY_BYTES);
  if (!ok) wipe(out, KEY_BYTES);
  evp->pkey_ctx_free(ctx);
  evp->pkey_free(peer);
  evp->pkey_free(own);
  return ok;
}

// Through the variable-base path on purpose: OpenSSL's own public-key derivation is slower (see above).
static bool x25519_base(const uint8_t *private_key, uint8_t *out) {
  return x25519_shared(private_key, BASE_POINT, out);
}

typedef int (*primitive_shared_fn)(uint8_t *out, const uint8_t *private_key, const uint8_t *public_key);

// What x25519Primitive runs on, and its name for x25519PrimitiveBackend; chosen once per process.
static primitive_shared_fn primitive_shared;
static const char *primitive_name;

// RFC 7748 section 6.1: Alice's private and public key, Bob's public key, and their shared secret.
static const uint8_t KAT_ALICE_PRIVATE[KEY_BYTES] = {
    0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2, 0x66, 0x45,
    0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a};
static const uint8_t KAT_ALICE_PUBLIC[KEY_BYTES] = {
    0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e, 0xf7, 0x5a,
    0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a};
static const uint8_t KAT_BOB_PUBLIC[KEY_BYTES] = {
    0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4, 0xd3, 0x5b, 0x61, 0xc2, 0xec, 0xe4, 0x35, 0x37,
    0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78, 0x67, 0x4d, 0xad, 0xfc, 0x7e, 0x14, 0x6f, 0x88, 0x2b, 0x4f};
static const uint8_t KAT_SHARED[KEY_BYTES] = {
    0x4a, 0x5d, 0x9d, 0x5b, 0xa4, 0xce, 0x2d, 0xe1, 0x72, 0x8e, 0x3b, 0xf4, 0x80, 0x35, 0x0f, 0x25,
    0xe0, 0x7e, 0x21, 0xc9, 0x47, 0xd1, 0x9e, 0x33, 0x76, 0xf0, 0x9b, 0x3c, 0x1e, 0x16, 0x17, 0x42};

// RFC 7748 section 5.2: scalar, u-coordinate (the second with its top bit set, to be ignored), result.
static const uint8_t KAT_SCALAR_MULT[2][3][KEY_BYTES] = {
    {{0xa5, 0x46, 0xe3, 0x6b, 0xf0, 0x52, 0x7c, 0x9d, 0x3b, 0x16, 0x15, 0x4b, 0x82, 0x46, 0x5e, 0xdd,
      0x62, 0x14, 0x4c, 0x0a, 0xc1, 0xfc, 0x5a, 0x18, 0x50, 0x6a, 0x22, 0x44, 0xba, 0x44, 0x9a, 0xc4},
     {0xe6, 0xdb, 0x68, 0x67, 0x58, 0x30, 0x30, 0xdb, 0x35, 0x94, 0xc1, 0xa4, 0x24, 0xb1, 0x5f, 0x7c,
      0x72, 0x66, 0x24, 0xec, 0x26, 0xb3, 0x35, 0x3b, 0x10, 0xa9, 0x03, 0xa6, 0xd0, 0xab, 0x1c, 0x4c},
     {0xc3, 0xda, 0x55, 0x37, 0x9d, 0xe9, 0xc6, 0x90, 0x8e, 0x94, 0xea, 0x4d, 0xf2, 0x8d, 0x08, 0x4f,
      0x32, 0xec, 0xcf, 0x03, 0x49, 0x1c, 0x71, 0xf7, 0x54, 0xb4, 0x07, 0x55, 0x77, 0xa2, 0x85, 0x52}},
    {{0x4b, 0x66, 0xe9, 0xd4, 0xd1, 0xb4, 0x67, 0x3c, 0x5a, 0xd2, 0x26, 0x91, 0x95, 0x7d, 0x6a, 0xf5,
      0xc1, 0x1b, 0x64, 0x21, 0xe0, 0xea, 0x01, 0xd4, 0x2c, 0xa4, 0x16, 0x9e, 0x79, 0x18, 0xba, 0x0d},
     {0xe5, 0x21, 0x0f, 0x12, 0x78, 0x68, 0x11, 0xd3, 0xf4, 0xb7, 0x95, 0x9d, 0x05, 0x38, 0xae, 0x2c,
      0x31, 0xdb, 0xe7, 0x10, 0x6f, 0xc0, 0x3c, 0x3e, 0xfc, 0x4c, 0xd5, 0x49, 0xc7, 0x15, 0xa4, 0x93},
     {0x95, 0xcb, 0xde, 0x94, 0x76, 0xe8, 0x90, 0x7d, 0x7a, 0xad, 0xe4, 0x5c, 0xb4, 0xb8, 0x73, 0xf8,
      0x8b, 0x59, 0x5a, 0x68, 0x79, 0x9f, 0xa1, 0x52, 0xe6, 0xf8, 0xf7, 0x64, 0x7a, 0xac, 0x79, 0x57}},
};

static bool primitive_passes_known_answers(primitive_shared_fn shared_fn) {
  uint8_t public_key[KEY_BYTES], shared[KEY_BYTES];
  bool ok = shared_fn(public_key, KAT_ALICE_PRIVATE, BASE_POINT) == 1 &&
            memcmp(public_key, KAT_ALICE_PUBLIC, KEY_BYTES) == 0 &&
            shared_fn(shared, KAT_ALICE_PRIVATE, KAT_BOB_PUBLIC) == 1 && memcmp(shared, KAT_SHARED, KEY_BYTES) == 0;
  for (size_t i = 0; ok && i < sizeof(KAT_SCALAR_MULT) / sizeof(KAT_SCALAR_MULT[0]); i++) {
    ok = shared_fn(shared, KAT_SCALAR_MULT[i][0], KAT_SCALAR_MULT[i][1]) == 1 &&
         memcmp(shared, KAT_SCALAR_MULT[i][2], KEY_BYTES) == 0;
  }
  return ok;
}

// Our ladders in ossl_x25519's shape; the section 5.2 scalars are not clamped, which the ladders do themselves.
static int ifma_primitive(uint8_t *out, const uint8_t *private_key, const uint8_t *public_key) {
  x25519_ifma(out, private_key, public_key);
  return 1;
}

static int portable_primitive(uint8_t *out, const uint8_t *private_key, const uint8_t *public_key) {
  x25519_ladder(out, private_key, public_key);
  return 1;
}

// Both section 5.2 vectors at once through the IFMA pair, which shares one inversion between them.
static bool ifma_pair_passes_known_answers(void) {
  uint8_t shared[2][KEY_BYTES];
  uint8_t *const out[2] = {shared[0], shared[1]};
  const uint8_t *const keys[2] = {KAT_SCALAR_MULT[0][0], KAT_SCALAR_MULT[1][0]};
  const uint8_t *const points[2] = {KAT_SCALAR_MULT[0][1], KAT_SCALAR_MULT[1][1]};
  x25519_ifma_pair(out, keys, points);
  return memcmp(shared[0], KAT_SCALAR_MULT[0][2], KEY_BYTES) == 0 &&
         memcmp(shared[1], KAT_SCALAR_MULT[1][2], KEY_BYTES) == 0;
}

static bool ifma_usable(void) {
  return cpu_features_allowed() && x25519_ifma_supported();
}

// The AVX-512 IFMA ladder where this CPU runs it and it passes the known answers,
// else OpenSSL's own primitive, else our portable ladder; none if even that fails.
static void find_primitive(void) {
  const openssl_x25519_primitive_fn openssl_shared = openssl_x25519_primitive();
  if (ifma_usable() && primitive_passes_known_answers(ifma_primitive) && ifma_pair_passes_known_answers()) {
    primitive_shared = ifma_primitive;
    primitive_name = "avx512ifma";
  } else if (openssl_shared && primitive_passes_known_answers(openssl_shared)) {
    primitive_shared = openssl_shared;
    primitive_name = "openssl";
  } else if (primitive_passes_known_answers(portable_primitive)) {
    primitive_shared = portable_primitive;
    primitive_name = "portable";
  }
}

static bool primitive_x25519_shared(const uint8_t *private_key, const uint8_t *public_key, uint8_t *out) {
  bool ok = primitive_shared(out, private_key, public_key) == 1 && !all_zero(out, KEY_BYTES);
  if (!ok) wipe(out, KEY_BYTES);
  return ok;
}

static bool fixed_base_x25519_base(const uint8_t *private_key, uint8_t *out) {
  x25519_public_key(out, private_key);
  return true;
}

// Fetches `count` Uint8Array arguments of exactly KEY_BYTES each; throws otherwise.
static bool key_args(napi_env env, napi_callback_info info, size_t count, uint8_t **keys, const char *usage) {
  napi_value argv[6];
  if (get_args(env, info, count, argv) != napi_ok) return false;
  for (size_t i = 0; i < count; i++) {
    void *data = NULL;
    size_t length = 0;
    if (!typed_array_data(env, argv[i], napi_uint8_array, &data, &length) || length != KEY_BYTES) {
      napi_throw_type_error(env, NULL, usage);
      return false;
    }
    keys[i] = data;
  }
  return true;
}

static napi_value boolean_value(napi_env env, bool value) {
  napi_value result;
  NAPI_TRY(env, napi_get_boolean(env, value, &result));
  return result;
}

typedef bool (*shared_fn)(const uint8_t *private_key, const uint8_t *public_key, uint8_t *out);
typedef bool (*base_fn)(const uint8_t *private_key, uint8_t *out);

// x25519(privateKey: Uint8Array, publicKey: Uint8Array, out: Uint8Array): boolean
static napi_value js_x25519(napi_env env, napi_callback_info info) {
  uint8_t *keys[3];
  void *implementation;
  if (napi_get_cb_info(env, info, NULL, NULL, NULL, &implementation) != napi_ok) return NULL;
  if (!key_args(env, info, 3, keys, "x25519(privateKey, publicKey, out: 32-byte Uint8Arrays)")) return NULL;
  return boolean_value(env, ((shared_fn)implementation)(keys[0], keys[1], keys[2]));
}

// x25519Base(privateKey: Uint8Array, out: Uint8Array): boolean
static napi_value js_x25519_base(napi_env env, napi_callback_info info) {
  uint8_t *keys[2];
  void *implementation;
  if (napi_get_cb_info(env, info, NULL, NULL, NULL, &implementation) != napi_ok) return NULL;
  if (!key_args(env, info, 2, keys, "x25519Base(privateKey, out: 32-byte Uint8Arrays)")) return NULL;
  return boolean_value(env, ((base_fn)implementation)(keys[0], keys[1]));
}

// A runtime whose OpenSSL cannot do X25519 gets no EVP functions.
static bool x25519_works(void) {
  if (!openssl_x25519()) return false;
  uint8_t private_key[KEY_BYTES] = {0x40};
  uint8_t public_key[KEY_BYTES];
  uint8_t shared[KEY_BYTES];
  return x25519_base(private_key, public_key) && x25519_shared(private_key, public_key, shared);
}

static napi_status export_pair(napi_env env, napi_value exports, const char *shared_name, shared_fn shared,
                               const char *base_name, base_fn base) {
  napi_status status = export_function(env, exports, shared_name, js_x25519, (void *)shared);
  return status == napi_ok ? export_function(env, exports, base_name, js_x25519_base, (void *)base) : status;
}

static bool ifma_x25519_shared(const uint8_t *private_key, const uint8_t *public_key, uint8_t *out) {
  x25519_ifma(out, private_key, public_key);
  return !all_zero(out, KEY_BYTES);
}

static bool portable_x25519_shared(const uint8_t *private_key, const uint8_t *public_key, uint8_t *out) {
  x25519_ladder(out, private_key, public_key);
  return !all_zero(out, KEY_BYTES);
}

// x25519IfmaPair(privateKeyA, publicKeyA, outA, privateKeyB, publicKeyB, outB): boolean,
// false when either shared secret is all zeros (a low-order public key).
static napi_value js_x25519_ifma_pair(napi_env env, napi_callback_info info) {
  uint8_t *keys[6];
  if (!key_args(env, info, 6, keys,
                "x25519IfmaPair(privateKeyA, publicKeyA, outA, privateKeyB, publicKeyB, outB: 32-byte Uint8Arrays)")) {
    return NULL;
  }
  uint8_t *const out[2] = {keys[2], keys[5]};
  const uint8_t *const private_keys[2] = {keys[0], keys[3]}, *const public_keys[2] = {keys[1], keys[4]};
  x25519_ifma_pair(out, private_keys, public_keys);
  return boolean_value(env, !all_zero(out[0], KEY_BYTES) && !all_zero(out[1], KEY_BYTES));
}

static napi_value js_x25519_ifma_unsupported(napi_env env, napi_callback_info info) {
  (void)info;
  napi_throw_error(env, "ERR_X25519_IFMA_UNSUPPORTED",
                   "X25519 on IFMA: this CPU lacks AVX-512 F or IFMA, or the OS does not save their registers");
  return NULL;
}

// x25519Ifma and x25519IfmaPair call the IFMA ladders directly, and throw where the
// CPU cannot run them. Only with 'avx512ifma' as the backend did the pair pass the known answers here.
static napi_status export_ifma(napi_env env, napi_value exports) {
  const bool supported = ifma_usable();
  napi_status status = supported
                           ? export_function(env, exports, "x25519Ifma", js_x25519, (void *)ifma_x25519_shared)
                           : export_function(env, exports, "x25519Ifma", js_x25519_ifma_unsupported, NULL);
  if (status == napi_ok) {
    status = export_function(env, exports, "x25519IfmaPair",
                             supported ? js_x25519_ifma_pair : js_x25519_ifma_unsupported, NULL);
  }
  return status;
}

// x25519PrimitiveBackend says what x25519Primitive runs on: 'avx512ifma', 'openssl' or 'portable'.
static napi_status export_backend(napi_env env, napi_value exports) {
  napi_value backend;
  napi_status status = napi_create_string_utf8(env, primitive_name, NAPI_AUTO_LENGTH, &backend);
  return status == napi_ok ? napi_set_named_property(env, exports, "x25519PrimitiveBackend", backend) : status;
}

napi_status register_x25519(napi_env env, napi_value exports) {
  static pthread_once_t primitive_once = PTHREAD_ONCE_INIT;
  pthread_once(&primitive_once, find_primitive);
  napi_status status = napi_ok;
  if (primitive_shared) {
    status = export_pair(env, exports, "x25519Primitive", primitive_x25519_shared, "x25519BaseFixed",
                         fixed_base_x25519_base);
    if (status == napi_ok) status = export_backend(env, exports);
  }
  // The portable ladder called directly, on every machine, so that tests reach it where it is not the primitive.
  if (status == napi_ok) status = export_function(env, exports, "x25519Portable", js_x25519, (void *)portable_x25519_shared);
  if (status == napi_ok) status = export_ifma(env, exports);
  if (status == napi_ok && x25519_works()) {
    status = export_pair(env, exports, "x25519", x25519_shared, "x25519Base", x25519_base);
  }
  return status;
}
