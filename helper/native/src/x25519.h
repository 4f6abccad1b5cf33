// X25519 on raw keys, exported by the crypto addon next to the transport AEAD.
#ifndef WIREFLY_X25519_H
#define WIREFLY_X25519_H

#include <node_api.h>

// Adds to `exports`: x25519Primitive() with x25519BaseFixed() (our fixed-base
// multiplication) and x25519PrimitiveBackend, which says what the primitive runs
// on: our AVX-512 IFMA ladder (x25519_ifma.c), OpenSSL's own primitive, or our
// portable ladder (x25519_ladder.c), the first that passes the known answers at
// load; x25519Portable(), x25519Ifma() and x25519IfmaPair(), our ladders called
// directly; and x25519() and x25519Base() through OpenSSL's EVP layer where the
// host's OpenSSL supports X25519.
napi_status register_x25519(napi_env env, napi_value exports);

#endif
