// Batched ChaCha20-Poly1305 for WireGuard transport messages, and single
// messages with additional data for the handshake; the addon's entry point,
// which also registers X25519 and BLAKE2s.
//
// Why in C: measured here, node:crypto costs 5–10 µs of fixed overhead per
// packet (a Cipher object per nonce), more than the cipher itself; one call
// per batch on a reused EVP context removes that. The jobs and the packets live
// in memory shared with JavaScript (usually a SharedArrayBuffer), so a worker
// thread can seal or open a batch in place without copying.
//
// Backends, chosen when the addon loads and named by aeadBackend: 'openssl',
// the host's OpenSSL through EVP where it exports it (Node does; 1.6–1.9 µs per
// 1420-byte seal here, kept first where present), else our own
// (chacha20poly1305.c): 'avx2' (1.6 µs) or 'portable' (5.1 µs). The addon
// has no link-time OpenSSL references (see openssl_host.h), so a runtime
// without OpenSSL (Electron links BoringSSL) still gets everything natively.
//
// Job descriptor: JOB_WORDS uint32 per job, see the constants below. A frame
// is a transport message: 16 header bytes, then the payload, then 16 tag bytes.
// Sealing encrypts payload[0..length) in place and writes the tag after it;
// opening takes length = payload + tag and decrypts in place.
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aead_openssl.h"
#include "blake2s.h"
#include "chacha20poly1305.h"
#include "cookie.h"
#include "napi_util.h"
#include "wipe.h"
#include "x25519.h"

enum {
  JOB_OP = 0,
  JOB_FRAME_OFFSET = 1,
  JOB_LENGTH = 2,
  JOB_COUNTER_LOW = 3,
  JOB_COUNTER_HIGH = 4,
  JOB_KEY_OFFSET = 5,
  JOB_RESULT = 6,
  JOB_WORDS = 8,
};
enum { OP_SEAL = 1, OP_OPEN = 2 };
enum { RESULT_OK = 1, RESULT_FAILED = 2 };
enum { HEADER_BYTES = 16, TAG_BYTES = 16, KEY_BYTES = 32, NONCE_BYTES = 12, XNONCE_BYTES = 24 };

// Per Node-API environment (the main thread and each worker): OpenSSL's cipher
// contexts, or NULL where our own code runs, which keeps no state.
typedef struct {
  aead_openssl *openssl;
} aead_state;

static void make_nonce(uint8_t nonce[NONCE_BYTES], uint32_t low, uint32_t high) {
  memset(nonce, 0, 4);
  for (int i = 0; i < 4; i++) {
    nonce[4 + i] = (uint8_t)(low >> (8 * i));
    nonce[8 + i] = (uint8_t)(high >> (8 * i));
  }
}

// out = ciphertext and tag of in[0..length) (out may be in); lengths below INT32_MAX - 16, checked by the callers.
static bool aead_seal(aead_state *state, const uint8_t *key, const uint8_t *nonce, const uint8_t *ad, size_t ad_length,
                 const uint8_t *in, size_t length, uint8_t *out) {
  if (state->openssl) return aead_openssl_seal(state->openssl, key, nonce, ad, ad_length, in, length, out);
  chacha20poly1305_seal(key, nonce, ad, ad_length, in, length, out);
  return true;
}

// out = plaintext of in (ciphertext and tag, `length` bytes in all); false when it does not authenticate.
static bool aead_open(aead_state *state, const uint8_t *key, const uint8_t *nonce, const uint8_t *ad, size_t ad_length,
                 const uint8_t *in, size_t length, uint8_t *out) {
  if (state->openssl) return aead_openssl_open(state->openssl, key, nonce, ad, ad_length, in, length, out);
  return chacha20poly1305_open(key, nonce, ad, ad_length, in, length, out);
}

// A job whose frame or key falls outside the buffer fails instead of touching memory it does not own.
static int job_in_bounds(const uint32_t *job, size_t data_length) {
  uint64_t frame_end = (uint64_t)job[JOB_FRAME_OFFSET] + HEADER_BYTES + job[JOB_LENGTH] +
                       (job[JOB_OP] == OP_SEAL ? TAG_BYTES : 0);
  uint64_t key_end = (uint64_t)job[JOB_KEY_OFFSET] + KEY_BYTES;
  return frame_end <= data_length && key_end <= data_length && job[JOB_LENGTH] <= INT32_MAX - TAG_BYTES;
}

static void run_job(aead_state *state, uint8_t *data, size_t data_length, uint32_t *job) {
  uint8_t nonce[NONCE_BYTES];
  bool ok = false;
  if (job_in_bounds(job, data_length)) {
    make_nonce(nonce, job[JOB_COUNTER_LOW], job[JOB_COUNTER_HIGH]);
    uint8_t *payload = data + job[JOB_FRAME_OFFSET] + HEADER_BYTES;
    const uint8_t *key = data + job[JOB_KEY_OFFSET];
    if (job[JOB_OP] == OP_SEAL) ok = aead_seal(state, key, nonce, NULL, 0, payload, job[JOB_LENGTH], payload);
    else if (job[JOB_OP] == OP_OPEN) ok = aead_open(state, key, nonce, NULL, 0, payload, job[JOB_LENGTH], payload);
  }
  job[JOB_RESULT] = ok ? RESULT_OK : RESULT_FAILED;
}

// processJobs(data: Uint8Array, jobs: Uint32Array, count: number): void
static napi_value process_jobs(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  aead_state *state = NULL;
  void *data = NULL;
  void *jobs = NULL;
  size_t data_length = 0;
  size_t job_words = 0;
  uint32_t count = 0;
  NAPI_TRY(env, get_args(env, info, 3, argv));
  NAPI_TRY(env, napi_get_instance_data(env, (void **)&state));
  if (!typed_array_data(env, argv[0], napi_uint8_array, &data, &data_length) ||
      !typed_array_data(env, argv[1], napi_uint32_array, &jobs, &job_words)) {
    napi_throw_type_error(env, NULL, "processJobs(data: Uint8Array, jobs: Uint32Array, count: number)");
    return NULL;
  }
  NAPI_TRY(env, napi_get_value_uint32(env, argv[2], &count));
  if ((size_t)count * JOB_WORDS > job_words) {
    napi_throw_range_error(env, NULL, "more jobs than descriptors");
    return NULL;
  }
  for (uint32_t i = 0; i < count; i++) run_job(state, data, data_length, (uint32_t *)jobs + (size_t)i * JOB_WORDS);
  return NULL;
}

// One message with additional data, as the handshake seals and opens them. Measured
// here: node:crypto takes 13–20 µs for such a message (a Cipher object each), this ~1 µs.
// sealMessage / openMessage(key, nonce, input, ad, out: Uint8Array): boolean.
// Sealing writes input's ciphertext and tag (out is 16 bytes longer); opening
// writes the plaintext (out is 16 bytes shorter) and is false if it does not authenticate.
static napi_value one_message(napi_env env, napi_callback_info info, bool sealing, bool extended) {
  napi_value argv[5];
  void *data[5];
  size_t length[5];
  aead_state *state = NULL;
  napi_value result;
  NAPI_TRY(env, get_args(env, info, 5, argv));
  NAPI_TRY(env, napi_get_instance_data(env, (void **)&state));
  for (int i = 0; i < 5; i++) {
    if (!typed_array_data(env, argv[i], napi_uint8_array, &data[i], &length[i])) {
      napi_throw_type_error(env, NULL, "(key, nonce, input, ad, out: Uint8Array)");
      return NULL;
    }
  }
  size_t expected_out = sealing ? length[2] + TAG_BYTES : length[2] - TAG_BYTES;
  if (length[0] != KEY_BYTES || length[1] != (extended ? XNONCE_BYTES : NONCE_BYTES) || length[2] > INT32_MAX - TAG_BYTES ||
      length[3] > INT32_MAX || (!sealing && length[2] < TAG_BYTES) || length[4] != expected_out) {
    napi_throw_range_error(env, NULL, extended ? "key must be 32 bytes, nonce 24, out the input's length plus (seal) or minus (open) 16"
                                               : "key must be 32 bytes, nonce 12, out the input's length plus (seal) or minus (open) 16");
    return NULL;
  }
  // XChaCha20-Poly1305: ChaCha20-Poly1305 under HChaCha20(key, nonce[0..16)) and the nonce 0^4 ‖ nonce[16..24).
  uint8_t subkey[KEY_BYTES];
  uint8_t nonce[NONCE_BYTES] = {0};
  const uint8_t *key = data[0];
  if (extended) {
    hchacha20(data[0], data[1], subkey);
    memcpy(nonce + 4, (const uint8_t *)data[1] + 16, 8);
    key = subkey;
  } else {
    memcpy(nonce, data[1], NONCE_BYTES);
  }
  bool ok = sealing ? aead_seal(state, key, nonce, data[3], length[3], data[2], length[2], data[4])
                    : aead_open(state, key, nonce, data[3], length[3], data[2], length[2], data[4]);
  wipe(subkey, sizeof(subkey));
  if (!ok) wipe(data[4], length[4]);
  NAPI_TRY(env, napi_get_boolean(env, ok, &result));
  return result;
}

static napi_value seal_message(napi_env env, napi_callback_info info) { return one_message(env, info, true, false); }

static napi_value open_message(napi_env env, napi_callback_info info) { return one_message(env, info, false, false); }

// xsealMessage / xopenMessage: the same with XChaCha20-Poly1305's 24-byte nonce (cookie replies).
static napi_value xseal_message(napi_env env, napi_callback_info info) { return one_message(env, info, true, true); }

static napi_value xopen_message(napi_env env, napi_callback_info info) { return one_message(env, info, false, true); }

static void free_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  aead_state *state = data;
  aead_openssl_free(state->openssl);
  free(state);
}

static napi_status export_aead(napi_env env, napi_value exports, const char *backend) {
  napi_value name;
  napi_status status = export_function(env, exports, "processJobs", process_jobs, NULL);
  if (status == napi_ok) status = export_function(env, exports, "sealMessage", seal_message, NULL);
  if (status == napi_ok) status = export_function(env, exports, "openMessage", open_message, NULL);
  if (status == napi_ok) status = export_function(env, exports, "xsealMessage", xseal_message, NULL);
  if (status == napi_ok) status = export_function(env, exports, "xopenMessage", xopen_message, NULL);
  if (status == napi_ok) status = napi_create_string_utf8(env, backend, NAPI_AUTO_LENGTH, &name);
  return status == napi_ok ? napi_set_named_property(env, exports, "aeadBackend", name) : status;
}

// OpenSSL where the host has it, else ours. Ours failing RFC 8439's known answers
// means a broken build, not a missing OpenSSL, and is the one reason to refuse to load.
static napi_value init(napi_env env, napi_value exports) {
  aead_state *state = calloc(1, sizeof(*state));
  if (!state) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  state->openssl = aead_openssl_new();
  const char *backend = state->openssl ? "openssl" : chacha20poly1305_backend();
  if (!backend) {
    free_state(env, state, NULL);
    napi_throw_error(env, NULL, "ChaCha20-Poly1305 (ours) fails RFC 8439's known answers");
    return NULL;
  }
  if (napi_set_instance_data(env, state, free_state, NULL) != napi_ok) {
    free_state(env, state, NULL);
    return NULL;
  }
  if (export_aead(env, exports, backend) != napi_ok || register_x25519(env, exports) != napi_ok ||
      register_blake2s(env, exports) != napi_ok || register_cookie(env, exports) != napi_ok) {
    return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
