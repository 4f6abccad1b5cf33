// RFC 7748's decoding of an X25519 private key, shared by every way we compute X25519.
#ifndef WIREFLY_X25519_CLAMP_H
#define WIREFLY_X25519_CLAMP_H

#include <stdint.h>
#include <string.h>

// The scalar of a private key: a multiple of the cofactor 8, with bit 254 set and bit 255 clear.
static inline void x25519_clamp(uint8_t scalar[32], const uint8_t private_key[32]) {
  memcpy(scalar, private_key, 32);
  scalar[0] &= 248;
  scalar[31] = (uint8_t)((scalar[31] & 127) | 64);
}

#endif
