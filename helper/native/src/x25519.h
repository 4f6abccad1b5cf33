// X25519 on raw keys, exported by the crypto addon next to the transport AEAD.
#ifndef WIREFLY_X25519_H
#define WIREFLY_X25519_H

#include <node_api.h>

// Adds x25519() and x25519Base() (through OpenSSL's EVP layer) to `exports` when
// this runtime's OpenSSL supports X25519, and x25519Primitive() (on OpenSSL's
// curve primitive) with x25519BaseFixed() (our fixed-base multiplication) when
// the runtime exports that primitive.
napi_status register_x25519(napi_env env, napi_value exports);

#endif
