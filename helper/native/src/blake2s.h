// BLAKE2s (RFC 7693), WireGuard's HMAC-BLAKE2s and KDF_n, exported by the
// crypto addon next to the transport AEAD and X25519. Needs no OpenSSL.
#ifndef WIREFLY_BLAKE2S_H
#define WIREFLY_BLAKE2S_H

#include <node_api.h>

// Adds blake2sHash(), blake2sKeyed(), blake2sHmac() and blake2sKdf() to `exports`.
napi_status register_blake2s(napi_env env, napi_value exports);

#endif
