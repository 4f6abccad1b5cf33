#include "openssl_host.h"

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(void (*)(void)) == sizeof(void *), "dlsym hands out functions as data pointers");

// The host process's own exports: on Windows the executable's (node.exe
// exports its OpenSSL; Electron's executable exports none of it).
static void *host_symbol(const char *name) {
#if defined(_WIN32)
  FARPROC symbol = GetProcAddress(GetModuleHandleW(NULL), name);
  void *pointer;
  memcpy(&pointer, &symbol, sizeof(pointer));
  return pointer;
#else
  return dlsym(RTLD_DEFAULT, name);
#endif
}

static struct {
  openssl_aead_api aead;
  openssl_x25519_api x25519;
  openssl_x25519_primitive_fn primitive;
  bool has_aead;
  bool has_x25519;
} host;

static pthread_once_t host_once = PTHREAD_ONCE_INIT;

// Copies the symbol into a function pointer, which POSIX allows and C's casts do not spell.
static bool look_up(void *function_pointer, const char *name) {
  void *symbol = host_symbol(name);
  memcpy(function_pointer, &symbol, sizeof(symbol));
  return symbol != NULL;
}

// The field's type must be the declared function's, so a field cannot receive the wrong symbol.
#define LOOK_UP(field, symbol)                                                                        \
  ({                                                                                                  \
    _Static_assert(__builtin_types_compatible_p(__typeof__(field), __typeof__(&symbol)), #symbol); \
    look_up(&(field), #symbol);                                                                       \
  })

static bool find_aead(openssl_aead_api *api) {
  return LOOK_UP(api->cipher_ctx_new, EVP_CIPHER_CTX_new) && LOOK_UP(api->cipher_ctx_free, EVP_CIPHER_CTX_free) &&
         LOOK_UP(api->cipher_ctx_ctrl, EVP_CIPHER_CTX_ctrl) &&
         LOOK_UP(api->chacha20_poly1305, EVP_chacha20_poly1305) &&
         LOOK_UP(api->encrypt_init, EVP_EncryptInit_ex) && LOOK_UP(api->encrypt_update, EVP_EncryptUpdate) &&
         LOOK_UP(api->encrypt_final, EVP_EncryptFinal_ex) && LOOK_UP(api->decrypt_init, EVP_DecryptInit_ex) &&
         LOOK_UP(api->decrypt_update, EVP_DecryptUpdate) && LOOK_UP(api->decrypt_final, EVP_DecryptFinal_ex);
}

static bool find_x25519(openssl_x25519_api *api) {
  return LOOK_UP(api->pkey_ctx_new_from_name, EVP_PKEY_CTX_new_from_name) &&
         LOOK_UP(api->pkey_ctx_new, EVP_PKEY_CTX_new) && LOOK_UP(api->pkey_ctx_free, EVP_PKEY_CTX_free) &&
         LOOK_UP(api->fromdata_init, EVP_PKEY_fromdata_init) && LOOK_UP(api->fromdata, EVP_PKEY_fromdata) &&
         LOOK_UP(api->new_raw_public_key, EVP_PKEY_new_raw_public_key) && LOOK_UP(api->pkey_free, EVP_PKEY_free) &&
         LOOK_UP(api->derive_init, EVP_PKEY_derive_init) &&
         LOOK_UP(api->derive_set_peer, EVP_PKEY_derive_set_peer_ex) && LOOK_UP(api->derive, EVP_PKEY_derive);
}

// The test switch described in the header.
static bool switched_off(void) {
  const char *value = getenv("WIREFLY_CRYPTO_NO_OPENSSL");
  return value != NULL && strcmp(value, "1") == 0;
}

static void find_host_openssl(void) {
  if (switched_off()) return;
  host.has_aead = find_aead(&host.aead);
  host.has_x25519 = find_x25519(&host.x25519);
  look_up(&host.primitive, "ossl_x25519");
}

const openssl_aead_api *openssl_aead(void) {
  pthread_once(&host_once, find_host_openssl);
  return host.has_aead ? &host.aead : NULL;
}

const openssl_x25519_api *openssl_x25519(void) {
  pthread_once(&host_once, find_host_openssl);
  return host.has_x25519 ? &host.x25519 : NULL;
}

openssl_x25519_primitive_fn openssl_x25519_primitive(void) {
  pthread_once(&host_once, find_host_openssl);
  return host.primitive;
}
