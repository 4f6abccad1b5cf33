// X25519 on raw keys, exported by the crypto addon next to the transport AEAD.
#ifndef WIREFLY_X25519_H
#define WIREFLY_X25519_H

#include <node_api.h>

// Adds x25519() and x25519Base() (through OpenSSL's EVP layer) to `exports` when
// this runtime's OpenSSL supports X25519, and x25519Primitive() and
// x25519BasePrimitive() (the same, on the curve primitives) when it exports them.
napi_status register_x25519(napi_env env, napi_value exports);

#endif
