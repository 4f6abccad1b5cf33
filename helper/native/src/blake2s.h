// BLAKE2s (RFC 7693), WireGuard's HMAC-BLAKE2s and KDF_n, exported by the
// crypto addon next to the transport AEAD and X25519. Needs no OpenSSL.
#ifndef WIREFLY_BLAKE2S_H
#define WIREFLY_BLAKE2S_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Adds blake2sHash(), blake2sKeyed(), blake2sKeyedVerify(), blake2sHmac() and blake2sKdf() to `exports`.
napi_status register_blake2s(napi_env env, napi_value exports);

// Keyed BLAKE2s (RFC 7693 section 3.3) of data into out, out_length (1..32) bytes long; key at most 32 bytes.
void blake2s_keyed(uint8_t *out, size_t out_length, const uint8_t *key, size_t key_length, const uint8_t *data,
                   size_t length);

// Whether keyed BLAKE2s of data, as long as `expected` (1..32 bytes), equals it; every byte compared.
bool blake2s_keyed_matches(const uint8_t *expected, size_t expected_length, const uint8_t *key, size_t key_length,
                           const uint8_t *data, size_t length);

#endif
