#include "aead_openssl.h"

#include <stdlib.h>

#include "openssl_host.h"

enum { TAG_BYTES = 16 };

struct aead_openssl {
  const openssl_aead_api *api;
  EVP_CIPHER_CTX *seal;
  EVP_CIPHER_CTX *open;
};

void aead_openssl_free(aead_openssl *aead) {
  if (!aead) return;
  aead->api->cipher_ctx_free(aead->seal);
  aead->api->cipher_ctx_free(aead->open);
  free(aead);
}

// The cipher is set once here; each message then only sets its key and nonce.
aead_openssl *aead_openssl_new(void) {
  const openssl_aead_api *api = openssl_aead();
  if (!api) return NULL;
  aead_openssl *aead = calloc(1, sizeof(*aead));
  if (!aead) return NULL;
  aead->api = api;
  aead->seal = api->cipher_ctx_new();
  aead->open = api->cipher_ctx_new();
  if (!aead->seal || !aead->open || api->encrypt_init(aead->seal, api->chacha20_poly1305(), NULL, NULL, NULL) != 1 ||
      api->decrypt_init(aead->open, api->chacha20_poly1305(), NULL, NULL, NULL) != 1) {
    aead_openssl_free(aead);
    return NULL;
  }
  return aead;
}

// EVP counts in int; the caller keeps lengths below INT32_MAX - 16.
bool aead_openssl_seal(aead_openssl *aead, const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad,
                       size_t ad_length, const uint8_t *in, size_t length, uint8_t *out) {
  const openssl_aead_api *api = aead->api;
  EVP_CIPHER_CTX *ctx = aead->seal;
  int written = 0;
  if (api->encrypt_init(ctx, NULL, NULL, key, nonce) != 1) return false;
  if (ad_length > 0 && api->encrypt_update(ctx, NULL, &written, ad, (int)ad_length) != 1) return false;
  if (length > 0 && api->encrypt_update(ctx, out, &written, in, (int)length) != 1) return false;
  if (api->encrypt_final(ctx, out + length, &written) != 1) return false;
  return api->cipher_ctx_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_BYTES, out + length) == 1;
}

bool aead_openssl_open(aead_openssl *aead, const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad,
                       size_t ad_length, const uint8_t *in, size_t length, uint8_t *out) {
  const openssl_aead_api *api = aead->api;
  EVP_CIPHER_CTX *ctx = aead->open;
  int written = 0;
  if (length < TAG_BYTES) return false;
  const size_t body = length - TAG_BYTES;
  if (api->decrypt_init(ctx, NULL, NULL, key, nonce) != 1) return false;
  if (api->cipher_ctx_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_BYTES, (void *)(in + body)) != 1) return false;
  if (ad_length > 0 && api->decrypt_update(ctx, NULL, &written, ad, (int)ad_length) != 1) return false;
  if (body > 0 && api->decrypt_update(ctx, out, &written, in, (int)body) != 1) return false;
  return api->decrypt_final(ctx, out + body, &written) == 1;
}
