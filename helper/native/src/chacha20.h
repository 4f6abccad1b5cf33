// The ChaCha20 state of RFC 8439 section 2.3 as 16 words: four constants, the
// key, the 32-bit block counter and the 96-bit nonce. Shared by the portable
// code (chacha20poly1305.c) and the AVX2 code (chacha20_avx2.c).
#ifndef WIREFLY_CHACHA20_H
#define WIREFLY_CHACHA20_H

#include <stdint.h>

enum { CHACHA20_WORDS = 16, CHACHA20_COUNTER = 12, CHACHA20_BLOCK_BYTES = 64 };

static inline uint32_t load32_le(const uint8_t *bytes) {
  return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
}

static inline void chacha20_setup(uint32_t state[CHACHA20_WORDS], const uint8_t key[32], const uint8_t nonce[12],
                                  uint32_t counter) {
  // "expand 32-byte k"
  state[0] = 0x61707865;
  state[1] = 0x3320646e;
  state[2] = 0x79622d32;
  state[3] = 0x6b206574;
  for (int i = 0; i < 8; i++) state[4 + i] = load32_le(key + 4 * i);
  state[CHACHA20_COUNTER] = counter;
  for (int i = 0; i < 3; i++) state[13 + i] = load32_le(nonce + 4 * i);
}

#endif
