// Poly1305's blocks four at a time on AVX2 (x86-64 only).
#ifndef WIREFLY_POLY1305_AVX2_H
#define WIREFLY_POLY1305_AVX2_H

#include <stddef.h>
#include <stdint.h>

// h = (...((h + m_1) r + m_2) r + ... + m_n) r mod 2^130 - 5 for n = `blocks` whole
// 16-byte blocks (a multiple of 4, at least 4), each with its 2^128 bit. h is in
// chacha20poly1305.c's radix 2^44 (limbs below 2^44, 2^45 and 2^43), as is
// r_powers[k] = r^(k+1), partly reduced. Call only where the CPU has AVX2.
void poly1305_avx2_blocks(uint64_t h[3], const uint64_t r_powers[4][3], const uint8_t *data, size_t blocks);

#endif
