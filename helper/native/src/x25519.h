// X25519 on raw keys, exported by the crypto addon next to the transport AEAD.
#ifndef WIREFLY_X25519_H
#define WIREFLY_X25519_H

#include <node_api.h>

// Adds x25519() and x25519Base() (through OpenSSL's EVP layer) to `exports` when
// this runtime's OpenSSL supports X25519; x25519Primitive() with
// x25519BaseFixed() (our fixed-base multiplication) when a faster curve
// primitive passes the known answers at load: our AVX-512 IFMA ladder
// (x25519_ifma.c), else OpenSSL's own; and x25519Ifma(), x25519IfmaPair() and
// x25519PrimitiveBackend, which say which one it is.
napi_status register_x25519(napi_env env, napi_value exports);

#endif
