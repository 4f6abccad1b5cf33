// The OpenSSL functions the crypto addon can use, found in the host process
// when the addon loads instead of linked: Node exports its OpenSSL to addons,
// Electron (which links BoringSSL) exports none of it, and an undefined
// reference would only fail at its first call there. The headers still give
// the prototypes. Each group is offered only when every function in it was
// found; without them the addon runs on its own code (chacha20poly1305.c,
// x25519_ladder.c), which `nm -D --undefined-only` on the addon confirms by
// listing no OpenSSL symbol at all.
//
// Test switch: with WIREFLY_CRYPTO_NO_OPENSSL=1 in the environment the first
// time the addon loads in a process, every group is reported missing, as in
// Electron; the tests use it to run the no-OpenSSL configuration under Node.
#ifndef WIREFLY_OPENSSL_HOST_H
#define WIREFLY_OPENSSL_HOST_H

#include <openssl/evp.h>
#include <stdint.h>

// ChaCha20-Poly1305 through EVP.
typedef struct {
  __typeof__(&EVP_CIPHER_CTX_new) cipher_ctx_new;
  __typeof__(&EVP_CIPHER_CTX_free) cipher_ctx_free;
  __typeof__(&EVP_CIPHER_CTX_ctrl) cipher_ctx_ctrl;
  __typeof__(&EVP_chacha20_poly1305) chacha20_poly1305;
  __typeof__(&EVP_EncryptInit_ex) encrypt_init;
  __typeof__(&EVP_EncryptUpdate) encrypt_update;
  __typeof__(&EVP_EncryptFinal_ex) encrypt_final;
  __typeof__(&EVP_DecryptInit_ex) decrypt_init;
  __typeof__(&EVP_DecryptUpdate) decrypt_update;
  __typeof__(&EVP_DecryptFinal_ex) decrypt_final;
} openssl_aead_api;

// X25519 through EVP key objects.
typedef struct {
  __typeof__(&EVP_PKEY_CTX_new_from_name) pkey_ctx_new_from_name;
  __typeof__(&EVP_PKEY_CTX_new) pkey_ctx_new;
  __typeof__(&EVP_PKEY_CTX_free) pkey_ctx_free;
  __typeof__(&EVP_PKEY_fromdata_init) fromdata_init;
  __typeof__(&EVP_PKEY_fromdata) fromdata;
  __typeof__(&EVP_PKEY_new_raw_public_key) new_raw_public_key;
  __typeof__(&EVP_PKEY_free) pkey_free;
  __typeof__(&EVP_PKEY_derive_init) derive_init;
  __typeof__(&EVP_PKEY_derive_set_peer_ex) derive_set_peer;
  __typeof__(&EVP_PKEY_derive) derive;
} openssl_x25519_api;

// OpenSSL 3's curve primitive under EVP, declared only in its internal
// crypto/ecx.h: out = X25519(private_key, peer), 1 on success. A statically
// linked OpenSSL (Node's) exports it; a shared libcrypto hides it.
typedef int (*openssl_x25519_primitive_fn)(uint8_t out[32], const uint8_t private_key[32], const uint8_t peer[32]);

// Each NULL where the host lacks any function of the group, or the test switch is on. Safe from any thread.
const openssl_aead_api *openssl_aead(void);
const openssl_x25519_api *openssl_x25519(void);
openssl_x25519_primitive_fn openssl_x25519_primitive(void);

#endif
