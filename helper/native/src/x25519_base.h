// X25519 public keys by fixed-base multiplication on the Edwards form.
#ifndef WIREFLY_X25519_BASE_H
#define WIREFLY_X25519_BASE_H

#include <stdint.h>

// out = X25519(private_key, 9); the key is clamped here. Safe to call from any thread.
void x25519_public_key(uint8_t out[32], const uint8_t private_key[32]);

#endif
