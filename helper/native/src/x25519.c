// X25519 (RFC 7748) through the OpenSSL that Node links, on raw 32-byte keys.
//
// Why in C: node:crypto only takes keys as KeyObjects, and importing one (from
// JWK, the cheapest format) plus diffieHellman's own overhead cost more than
// the curve arithmetic; a handshake responder does four X25519 operations per
// handshake, so that overhead bounded the handshake rate.
#include <node_api.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdbool.h>
#include <stdint.h>

#include "napi_util.h"
#include "x25519.h"

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
static EVP_PKEY *derive_only_key(const uint8_t *private_key) {
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
  EVP_PKEY *key = NULL;
  OSSL_PARAM params[] = {
      OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, (void *)private_key, KEY_BYTES),
      OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)BASE_POINT, KEY_BYTES),
      OSSL_PARAM_END,
  };
  if (ctx && EVP_PKEY_fromdata_init(ctx) == 1 && EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) != 1) key = NULL;
  EVP_PKEY_CTX_free(ctx);
  return key;
}

// out = X25519(private_key, public_key); false when OpenSSL refuses or the result
// is all zeros (a low-order public key), which the protocol must reject.
static bool x25519_shared(const uint8_t *private_key, const uint8_t *public_key, uint8_t *out) {
  EVP_PKEY *own = derive_only_key(private_key);
  EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, public_key, KEY_BYTES);
  EVP_PKEY_CTX *ctx = own ? EVP_PKEY_CTX_new(own, NULL) : NULL;
  size_t length = KEY_BYTES;
  // No peer validation: X25519 has nothing to validate; low order shows as a zero result.
  bool ok = ctx && peer && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) == 1 &&
            EVP_PKEY_derive(ctx, out, &length) == 1 && length == KEY_BYTES && !all_zero(out, KEY_BYTES);
  if (!ok) OPENSSL_cleanse(out, KEY_BYTES);
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(peer);
  EVP_PKEY_free(own);
  return ok;
}

// Through the variable-base path on purpose: OpenSSL's own public-key derivation is slower (see above).
static bool x25519_base(const uint8_t *private_key, uint8_t *out) {
  return x25519_shared(private_key, BASE_POINT, out);
}

// Fetches `count` Uint8Array arguments of exactly KEY_BYTES each; throws otherwise.
static bool key_args(napi_env env, napi_callback_info info, size_t count, uint8_t **keys, const char *usage) {
  napi_value argv[3];
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

// x25519(privateKey: Uint8Array, publicKey: Uint8Array, out: Uint8Array): boolean
static napi_value js_x25519(napi_env env, napi_callback_info info) {
  uint8_t *keys[3];
  if (!key_args(env, info, 3, keys, "x25519(privateKey, publicKey, out: 32-byte Uint8Arrays)")) return NULL;
  return boolean_value(env, x25519_shared(keys[0], keys[1], keys[2]));
}

// x25519Base(privateKey: Uint8Array, out: Uint8Array): boolean
static napi_value js_x25519_base(napi_env env, napi_callback_info info) {
  uint8_t *keys[2];
  if (!key_args(env, info, 2, keys, "x25519Base(privateKey, out: 32-byte Uint8Arrays)")) return NULL;
  return boolean_value(env, x25519_base(keys[0], keys[1]));
}

// A runtime whose OpenSSL cannot do X25519 gets no functions, so JavaScript falls back.
static bool x25519_works(void) {
  uint8_t private_key[KEY_BYTES] = {0x40};
  uint8_t public_key[KEY_BYTES];
  uint8_t shared[KEY_BYTES];
  return x25519_base(private_key, public_key) && x25519_shared(private_key, public_key, shared);
}

napi_status register_x25519(napi_env env, napi_value exports) {
  napi_value fn;
  napi_status status;
  if (!x25519_works()) return napi_ok;
  status = napi_create_function(env, "x25519", NAPI_AUTO_LENGTH, js_x25519, NULL, &fn);
  if (status == napi_ok) status = napi_set_named_property(env, exports, "x25519", fn);
  if (status == napi_ok) status = napi_create_function(env, "x25519Base", NAPI_AUTO_LENGTH, js_x25519_base, NULL, &fn);
  if (status == napi_ok) status = napi_set_named_property(env, exports, "x25519Base", fn);
  return status;
}
