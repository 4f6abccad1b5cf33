// ChaCha20 eight blocks at a time on AVX2 (x86-64 only).
#ifndef WIREFLY_CHACHA20_AVX2_H
#define WIREFLY_CHACHA20_AVX2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Whether the CPU has AVX2 and the OS saves its registers; always false off x86-64.
bool chacha20_avx2_supported(void);

// XORs the key stream from the state's block counter on into in, giving out (which
// may be in), for a prefix of length: whole runs of eight blocks, and the rest too
// where that pays. Advances the counter past what it used and returns how many bytes
// it did; the caller does the remainder. Call only where chacha20_avx2_supported().
size_t chacha20_avx2_xor(uint8_t *out, const uint8_t *in, size_t length, uint32_t state[16]);

#endif
