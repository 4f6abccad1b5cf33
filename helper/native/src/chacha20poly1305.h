// ChaCha20-Poly1305 (RFC 8439) of our own, for runtimes whose OpenSSL the addon
// cannot reach (Electron's Node links BoringSSL and exports none of it).
// Everything runs in time independent of keys, plaintexts and tags.
#ifndef WIREFLY_CHACHA20POLY1305_H
#define WIREFLY_CHACHA20POLY1305_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { CHACHA20POLY1305_TAG_BYTES = 16 };

// Chooses the code for this CPU ('avx2' where it has AVX2 and the AVX2 ChaCha20
// and Poly1305 agree with the portable ones, else 'portable') and checks RFC
// 8439's known answers; NULL when they fail, and then nothing here may be used.
// Safe from any thread.
const char *chacha20poly1305_backend(void);

// out = ciphertext of in[0..length), then the 16-byte tag; out may be in.
void chacha20poly1305_seal(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad, size_t ad_length,
                           const uint8_t *in, size_t length, uint8_t *out);

// in = ciphertext, then the tag (length counts both); out = plaintext, length - 16
// bytes, written only when the tag authenticates; out may be in.
bool chacha20poly1305_open(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad, size_t ad_length,
                           const uint8_t *in, size_t length, uint8_t *out);

// HChaCha20: the 32-byte subkey XChaCha20-Poly1305 seals with (under the
// nonce 0^4 ‖ nonce[16..24)), from the key and the first 16 nonce bytes.
void hchacha20(const uint8_t key[32], const uint8_t nonce[16], uint8_t out[32]);

#endif
