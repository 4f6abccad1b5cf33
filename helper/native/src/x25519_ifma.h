// X25519 shared secrets on AVX-512 IFMA (x86-64 only; see x25519_ifma.c).
#ifndef WIREFLY_X25519_IFMA_H
#define WIREFLY_X25519_IFMA_H

#include <stdbool.h>
#include <stdint.h>

// Whether the CPU has AVX-512 F and IFMA and the OS saves their registers.
// Always false off x86-64, where x25519_ifma must not be called.
bool x25519_ifma_supported(void);

// out = X25519(private_key, public_key) as RFC 7748 defines it: the key is
// clamped and the u-coordinate's top bit ignored here. Safe from any thread.
void x25519_ifma(uint8_t out[32], const uint8_t private_key[32], const uint8_t public_key[32]);

// out[l] = X25519(private_key[l], public_key[l]) for l = 0, 1, at about 1.3 times
// the cost of one: a responder's ee and se, say. All inputs are read before any
// output is written.
void x25519_ifma_pair(uint8_t *const out[2], const uint8_t *const private_key[2], const uint8_t *const public_key[2]);

#endif
