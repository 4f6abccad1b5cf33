// Batched ChaCha20-Poly1305 for WireGuard transport messages, through the
// OpenSSL that Node itself links (its EVP symbols are exported to addons).
//
// Why in C: measured here, node:crypto costs 5–10 µs of fixed overhead per
// packet (a Cipher object per nonce), more than the cipher itself; one call
// per batch on a reused EVP context removes that. The jobs and the packets live
// in memory shared with JavaScript (usually a SharedArrayBuffer), so a worker
// thread can seal or open a batch in place without copying.
//
// Job descriptor: JOB_WORDS uint32 per job, see the constants below. A frame
// is a transport message: 16 header bytes, then the payload, then 16 tag bytes.
// Sealing encrypts payload[0..length) in place and writes the tag after it;
// opening takes length = payload + tag and decrypts in place.
#include <dlfcn.h>
#include <node_api.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blake2s.h"
#include "napi_util.h"
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
enum { HEADER_BYTES = 16, TAG_BYTES = 16, KEY_BYTES = 32, NONCE_BYTES = 12 };

typedef struct {
  EVP_CIPHER_CTX *seal;
  EVP_CIPHER_CTX *open;
  // The handshake's single messages, kept apart from the batches' contexts.
  EVP_CIPHER_CTX *seal_one;
  EVP_CIPHER_CTX *open_one;
} aead_state;

static void make_nonce(uint8_t nonce[NONCE_BYTES], uint32_t low, uint32_t high) {
  memset(nonce, 0, 4);
  for (int i = 0; i < 4; i++) {
    nonce[4 + i] = (uint8_t)(low >> (8 * i));
    nonce[8 + i] = (uint8_t)(high >> (8 * i));
  }
}

static int seal_one(EVP_CIPHER_CTX *ctx, const uint8_t *key, const uint8_t *nonce, uint8_t *payload, int length) {
  int written = 0;
  int final_written = 0;
  if (EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) != 1) return 0;
  if (EVP_EncryptUpdate(ctx, payload, &written, payload, length) != 1) return 0;
  if (EVP_EncryptFinal_ex(ctx, payload + written, &final_written) != 1) return 0;
  return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_BYTES, payload + length) == 1;
}

static int open_one(EVP_CIPHER_CTX *ctx, const uint8_t *key, const uint8_t *nonce, uint8_t *payload, int length) {
  int written = 0;
  int final_written = 0;
  int body = length - TAG_BYTES;
  if (body < 0) return 0;
  if (EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) != 1) return 0;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_BYTES, payload + body) != 1) return 0;
  if (EVP_DecryptUpdate(ctx, payload, &written, payload, body) != 1) return 0;
  return EVP_DecryptFinal_ex(ctx, payload + written, &final_written) == 1;
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
  int ok = 0;
  if (job_in_bounds(job, data_length)) {
    make_nonce(nonce, job[JOB_COUNTER_LOW], job[JOB_COUNTER_HIGH]);
    uint8_t *payload = data + job[JOB_FRAME_OFFSET] + HEADER_BYTES;
    const uint8_t *key = data + job[JOB_KEY_OFFSET];
    if (job[JOB_OP] == OP_SEAL) ok = seal_one(state->seal, key, nonce, payload, (int)job[JOB_LENGTH]);
    else if (job[JOB_OP] == OP_OPEN) ok = open_one(state->open, key, nonce, payload, (int)job[JOB_LENGTH]);
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
static int seal_with_ad(EVP_CIPHER_CTX *ctx, const uint8_t *key, const uint8_t *nonce, const uint8_t *ad, int ad_length,
                        const uint8_t *plaintext, int length, uint8_t *out) {
  int written = 0;
  int final_written = 0;
  if (EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) != 1) return 0;
  if (ad_length > 0 && EVP_EncryptUpdate(ctx, NULL, &written, ad, ad_length) != 1) return 0;
  if (length > 0 && EVP_EncryptUpdate(ctx, out, &written, plaintext, length) != 1) return 0;
  if (EVP_EncryptFinal_ex(ctx, out + length, &final_written) != 1) return 0;
  return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_BYTES, out + length) == 1;
}

static int open_with_ad(EVP_CIPHER_CTX *ctx, const uint8_t *key, const uint8_t *nonce, const uint8_t *ad, int ad_length,
                        const uint8_t *ciphertext, int length, uint8_t *out) {
  int written = 0;
  int final_written = 0;
  int body = length - TAG_BYTES;
  if (EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) != 1) return 0;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_BYTES, (void *)(ciphertext + body)) != 1) return 0;
  if (ad_length > 0 && EVP_DecryptUpdate(ctx, NULL, &written, ad, ad_length) != 1) return 0;
  if (body > 0 && EVP_DecryptUpdate(ctx, out, &written, ciphertext, body) != 1) return 0;
  return EVP_DecryptFinal_ex(ctx, out + body, &final_written) == 1;
}

// sealMessage / openMessage(key, nonce, input, ad, out: Uint8Array): boolean.
// Sealing writes input's ciphertext and tag (out is 16 bytes longer); opening
// writes the plaintext (out is 16 bytes shorter) and is false if it does not authenticate.
static napi_value one_message(napi_env env, napi_callback_info info, bool sealing) {
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
  if (length[0] != KEY_BYTES || length[1] != NONCE_BYTES || length[2] > INT32_MAX - TAG_BYTES || length[3] > INT32_MAX ||
      (!sealing && length[2] < TAG_BYTES) || length[4] != expected_out) {
    napi_throw_range_error(env, NULL, "key must be 32 bytes, nonce 12, out the input's length plus (seal) or minus (open) 16");
    return NULL;
  }
  int ok = sealing ? seal_with_ad(state->seal_one, data[0], data[1], data[3], (int)length[3], data[2], (int)length[2], data[4])
                   : open_with_ad(state->open_one, data[0], data[1], data[3], (int)length[3], data[2], (int)length[2], data[4]);
  if (!ok) OPENSSL_cleanse(data[4], length[4]);
  NAPI_TRY(env, napi_get_boolean(env, ok, &result));
  return result;
}

static napi_value seal_message(napi_env env, napi_callback_info info) { return one_message(env, info, true); }

static napi_value open_message(napi_env env, napi_callback_info info) { return one_message(env, info, false); }

static void free_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  aead_state *state = data;
  EVP_CIPHER_CTX_free(state->seal);
  EVP_CIPHER_CTX_free(state->open);
  EVP_CIPHER_CTX_free(state->seal_one);
  EVP_CIPHER_CTX_free(state->open_one);
  free(state);
}

// The OpenSSL functions are resolved from the host process lazily, at first
// call. A runtime that does not export them (Electron links BoringSSL, for
// one) would die at that call, so check they exist before making any.
static int host_exports_openssl(void) {
  static const char *const needed[] = {
      "EVP_CIPHER_CTX_new", "EVP_chacha20_poly1305", "EVP_EncryptInit_ex", "EVP_DecryptInit_ex",
      "EVP_PKEY_new_raw_private_key", "EVP_PKEY_derive",
  };
  for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
    if (!dlsym(RTLD_DEFAULT, needed[i])) return 0;
  }
  return 1;
}

static napi_value init(napi_env env, napi_value exports) {
  if (!host_exports_openssl()) {
    napi_throw_error(env, NULL, "this runtime does not export OpenSSL to addons");
    return NULL;
  }
  aead_state *state = calloc(1, sizeof(*state));
  napi_value fn;
  if (!state) return NULL;
  state->seal = EVP_CIPHER_CTX_new();
  state->open = EVP_CIPHER_CTX_new();
  state->seal_one = EVP_CIPHER_CTX_new();
  state->open_one = EVP_CIPHER_CTX_new();
  if (!state->seal || !state->open || !state->seal_one || !state->open_one ||
      EVP_EncryptInit_ex(state->seal, EVP_chacha20_poly1305(), NULL, NULL, NULL) != 1 ||
      EVP_DecryptInit_ex(state->open, EVP_chacha20_poly1305(), NULL, NULL, NULL) != 1 ||
      EVP_EncryptInit_ex(state->seal_one, EVP_chacha20_poly1305(), NULL, NULL, NULL) != 1 ||
      EVP_DecryptInit_ex(state->open_one, EVP_chacha20_poly1305(), NULL, NULL, NULL) != 1) {
    free_state(env, state, NULL);
    napi_throw_error(env, NULL, "ChaCha20-Poly1305 is not available in this runtime's OpenSSL");
    return NULL;
  }
  if (napi_set_instance_data(env, state, free_state, NULL) != napi_ok) {
    free_state(env, state, NULL);
    return NULL;
  }
  if (napi_create_function(env, "processJobs", NAPI_AUTO_LENGTH, process_jobs, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "processJobs", fn) != napi_ok ||
      napi_create_function(env, "sealMessage", NAPI_AUTO_LENGTH, seal_message, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "sealMessage", fn) != napi_ok ||
      napi_create_function(env, "openMessage", NAPI_AUTO_LENGTH, open_message, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "openMessage", fn) != napi_ok ||
      register_x25519(env, exports) != napi_ok || register_blake2s(env, exports) != napi_ok) {
    return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
