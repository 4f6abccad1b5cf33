// Whether the crypto may use instructions this CPU has beyond the portable
// code's (AVX2 for ChaCha20-Poly1305, AVX-512 IFMA for X25519); each backend
// still checks the CPU and its known answers itself.
//
// Test switch: with WIREFLY_CRYPTO_PORTABLE=1 in the environment the first time
// the addon loads in a process, none may, so that the portable code is tested
// on any CPU, also on those where it would never be chosen.
#ifndef WIREFLY_CPU_FEATURES_H
#define WIREFLY_CPU_FEATURES_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static inline bool cpu_features_allowed(void) {
  const char *value = getenv("WIREFLY_CRYPTO_PORTABLE");
  return value == NULL || strcmp(value, "1") != 0;
}

#endif
