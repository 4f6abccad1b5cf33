// ChaCha20-Poly1305 through the host's OpenSSL (see openssl_host.h): where Node
// runs the addon, the fastest this machine has (measured against ours in
// chacha20poly1305.c). Lengths are checked by the caller.
#ifndef WIREFLY_AEAD_OPENSSL_H
#define WIREFLY_AEAD_OPENSSL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Reused cipher contexts, for one thread at a time.
typedef struct aead_openssl aead_openssl;

// NULL where the host has no OpenSSL ChaCha20-Poly1305 (or the test switch is on).
aead_openssl *aead_openssl_new(void);
void aead_openssl_free(aead_openssl *aead);

// out = ciphertext of in[0..length), then the 16-byte tag; out may be in.
bool aead_openssl_seal(aead_openssl *aead, const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad,
                       size_t ad_length, const uint8_t *in, size_t length, uint8_t *out);

// in = ciphertext, then the tag (length counts both); out = plaintext, length - 16 bytes; out may be in.
// False when it does not authenticate; out's contents are then unspecified.
bool aead_openssl_open(aead_openssl *aead, const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad,
                       size_t ad_length, const uint8_t *in, size_t length, uint8_t *out);

#endif
