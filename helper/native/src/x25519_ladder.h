// X25519 shared secrets by the Montgomery ladder in portable C.
#ifndef WIREFLY_X25519_LADDER_H
#define WIREFLY_X25519_LADDER_H

#include <stdint.h>

// out = X25519(private_key, public_key) as RFC 7748 defines it: the key is
// clamped and the u-coordinate's top bit ignored here. Safe from any thread.
void x25519_ladder(uint8_t out[32], const uint8_t private_key[32], const uint8_t public_key[32]);

#endif
