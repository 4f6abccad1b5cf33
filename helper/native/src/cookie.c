// The responder's first look at a handshake message (whitepaper 5.4.7) in one
// call: MAC1, and under load MAC2 and the cookie reply for a sender without
// one. A server under a handshake flood does this for every initiation it
// takes in, and the separate calls for each primitive cost it more than the
// primitives themselves. The engine decides what "under load" is and what
// follows; this only computes.
//
// checkHandshakeMacs(message, mac1Key, source, secret, cookieKey, nonce, reply): number
//   message    an initiation or a response (the last 32 bytes are MAC1, MAC2)
//   mac1Key    HASH("mac1----" ‖ our public key)
//   source     the sender's address and port (4 or 16 bytes, then 2), or empty when not under load
//   secret     the cookie secret, or empty when not under load
//   cookieKey  HASH("cookie--" ‖ our public key)
//   nonce      24 random bytes for a reply
//   reply      64 bytes, written when a reply is due
// Returns 0 when MAC1 is wrong, 1 when the message passes (MAC2 too, under
// load), 2 when it needs a cookie first and the reply is written.
#include "cookie.h"

#include <string.h>

#include "blake2s.h"
#include "chacha20poly1305.h"
#include "napi_util.h"
#include "wipe.h"

enum {
  MAC_BYTES = 16,
  KEY_BYTES = 32,
  XNONCE_BYTES = 24,
  REPLY_BYTES = 64,
  MESSAGE_COOKIE_REPLY = 3,
  SENDER_OFFSET = 4,
  REPLY_RECEIVER = 4,
  REPLY_NONCE = 8,
  REPLY_COOKIE = 32,
  MAX_SOURCE_BYTES = 16 + 2,
};
enum { FAILS_MAC1 = 0, PASSES = 1, NEEDS_COOKIE = 2 };

static void write_reply(uint8_t reply[REPLY_BYTES], const uint8_t *message, size_t length, const uint8_t cookie[MAC_BYTES],
                        const uint8_t cookie_key[KEY_BYTES], const uint8_t nonce[XNONCE_BYTES]) {
  uint8_t subkey[KEY_BYTES];
  uint8_t chacha_nonce[12] = {0};
  memset(reply, 0, REPLY_BYTES);
  reply[0] = MESSAGE_COOKIE_REPLY;
  memcpy(reply + REPLY_RECEIVER, message + SENDER_OFFSET, 4);
  memcpy(reply + REPLY_NONCE, nonce, XNONCE_BYTES);
  // XChaCha20-Poly1305 of the cookie, with the message's MAC1 as additional data.
  hchacha20(cookie_key, nonce, subkey);
  memcpy(chacha_nonce + 4, nonce + 16, 8);
  chacha20poly1305_seal(subkey, chacha_nonce, message + length - 2 * MAC_BYTES, MAC_BYTES, cookie, MAC_BYTES,
                        reply + REPLY_COOKIE);
  wipe(subkey, sizeof(subkey));
}

static int check(const uint8_t *message, size_t length, const uint8_t *mac1_key, const uint8_t *source, size_t source_length,
                 const uint8_t *secret, const uint8_t *cookie_key, const uint8_t *nonce, uint8_t *reply) {
  const uint8_t *mac1 = message + length - 2 * MAC_BYTES;
  if (!blake2s_keyed_matches(mac1, MAC_BYTES, mac1_key, KEY_BYTES, message, length - 2 * MAC_BYTES)) return FAILS_MAC1;
  if (source_length == 0) return PASSES;
  uint8_t cookie[MAC_BYTES];
  blake2s_keyed(cookie, MAC_BYTES, secret, KEY_BYTES, source, source_length);
  int result = PASSES;
  if (!blake2s_keyed_matches(message + length - MAC_BYTES, MAC_BYTES, cookie, MAC_BYTES, message, length - MAC_BYTES)) {
    write_reply(reply, message, length, cookie, cookie_key, nonce);
    result = NEEDS_COOKIE;
  }
  wipe(cookie, sizeof(cookie));
  return result;
}

static napi_value js_check_handshake_macs(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  void *data[7];
  size_t lengths[7];
  napi_value result;
  NAPI_TRY(env, get_args(env, info, 7, argv));
  for (int i = 0; i < 7; i++) {
    if (!typed_array_data(env, argv[i], napi_uint8_array, &data[i], &lengths[i])) {
      napi_throw_type_error(env, NULL, "checkHandshakeMacs(message, mac1Key, source, secret, cookieKey, nonce, reply: Uint8Array)");
      return NULL;
    }
  }
  const bool under_load = lengths[2] > 0;
  if (lengths[0] < SENDER_OFFSET + 4 + 2 * MAC_BYTES || lengths[1] != KEY_BYTES || lengths[2] > MAX_SOURCE_BYTES ||
      (under_load && lengths[3] != KEY_BYTES) || lengths[4] != KEY_BYTES || lengths[5] != XNONCE_BYTES ||
      lengths[6] != REPLY_BYTES) {
    napi_throw_range_error(env, NULL, "message of 40 bytes or more, keys of 32, a source of at most 18, a nonce of 24, a reply of 64");
    return NULL;
  }
  const int outcome = check(data[0], lengths[0], data[1], data[2], lengths[2], data[3], data[4], data[5], data[6]);
  NAPI_TRY(env, napi_create_int32(env, outcome, &result));
  return result;
}

napi_status register_cookie(napi_env env, napi_value exports) {
  return export_function(env, exports, "checkHandshakeMacs", js_check_handshake_macs, NULL);
}
