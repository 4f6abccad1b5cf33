// Arithmetic modulo p = 2^255 - 19 on five 51-bit limbs (radix 2^51), with
// 128-bit products. Every function runs in time independent of the values.
//
// Limb bounds: outputs of fe_carry, fe_mul and fe_sq have limbs below 2^51 + 2^13;
// fe_add of two such elements stays below 2^53, which fe_mul and fe_sq accept
// (19 * 5 products of 2^53 * 2^53 fit in 128 bits). fe_sub carries its result.
#ifndef WIREFLY_FIELD25519_H
#define WIREFLY_FIELD25519_H

#include <stdint.h>

typedef uint64_t fe[5];
typedef unsigned __int128 fe_wide;

#define FE_MASK51 ((UINT64_C(1) << 51) - 1)

static inline void fe_copy(fe h, const fe f) {
  for (int i = 0; i < 5; i++) h[i] = f[i];
}

static inline void fe_set_small(fe h, uint64_t value) {
  h[0] = value;
  h[1] = h[2] = h[3] = h[4] = 0;
}

// Moves each limb's bits above 51 into the next limb, the top limb's times 19 into the first.
static inline void fe_carry(fe h) {
  uint64_t carry;
  for (int i = 0; i < 4; i++) {
    carry = h[i] >> 51;
    h[i] &= FE_MASK51;
    h[i + 1] += carry;
  }
  carry = h[4] >> 51;
  h[4] &= FE_MASK51;
  h[0] += carry * 19;
}

static inline void fe_add(fe h, const fe f, const fe g) {
  for (int i = 0; i < 5; i++) h[i] = f[i] + g[i];
}

// f - g computed as f + 4p - g, so that no limb goes negative for g's limbs below 2^53.
static inline void fe_sub(fe h, const fe f, const fe g) {
  static const uint64_t four_p[5] = {
      (FE_MASK51 - 18) << 2, FE_MASK51 << 2, FE_MASK51 << 2, FE_MASK51 << 2, FE_MASK51 << 2,
  };
  for (int i = 0; i < 5; i++) h[i] = f[i] + four_p[i] - g[i];
  fe_carry(h);
}

static inline void fe_neg(fe h, const fe f) {
  static const fe zero = {0, 0, 0, 0, 0};
  fe_sub(h, zero, f);
}

// Reduces five 128-bit column sums to limbs; 2^255 = 19 (mod p) was folded in by the caller.
static inline void fe_reduce_wide(fe h, fe_wide c0, fe_wide c1, fe_wide c2, fe_wide c3, fe_wide c4) {
  c1 += (uint64_t)(c0 >> 51);
  c2 += (uint64_t)(c1 >> 51);
  c3 += (uint64_t)(c2 >> 51);
  c4 += (uint64_t)(c3 >> 51);
  uint64_t top = (uint64_t)(c4 >> 51);
  h[0] = ((uint64_t)c0 & FE_MASK51) + top * 19;
  h[1] = (uint64_t)c1 & FE_MASK51;
  h[2] = (uint64_t)c2 & FE_MASK51;
  h[3] = (uint64_t)c3 & FE_MASK51;
  h[4] = (uint64_t)c4 & FE_MASK51;
  h[1] += h[0] >> 51;
  h[0] &= FE_MASK51;
}

static inline void fe_mul(fe h, const fe f, const fe g) {
  const uint64_t g1_19 = g[1] * 19, g2_19 = g[2] * 19, g3_19 = g[3] * 19, g4_19 = g[4] * 19;
  fe_wide c0 = (fe_wide)f[0] * g[0] + (fe_wide)f[1] * g4_19 + (fe_wide)f[2] * g3_19 + (fe_wide)f[3] * g2_19 +
               (fe_wide)f[4] * g1_19;
  fe_wide c1 = (fe_wide)f[0] * g[1] + (fe_wide)f[1] * g[0] + (fe_wide)f[2] * g4_19 + (fe_wide)f[3] * g3_19 +
               (fe_wide)f[4] * g2_19;
  fe_wide c2 = (fe_wide)f[0] * g[2] + (fe_wide)f[1] * g[1] + (fe_wide)f[2] * g[0] + (fe_wide)f[3] * g4_19 +
               (fe_wide)f[4] * g3_19;
  fe_wide c3 = (fe_wide)f[0] * g[3] + (fe_wide)f[1] * g[2] + (fe_wide)f[2] * g[1] + (fe_wide)f[3] * g[0] +
               (fe_wide)f[4] * g4_19;
  fe_wide c4 = (fe_wide)f[0] * g[4] + (fe_wide)f[1] * g[3] + (fe_wide)f[2] * g[2] + (fe_wide)f[3] * g[1] +
               (fe_wide)f[4] * g[0];
  fe_reduce_wide(h, c0, c1, c2, c3, c4);
}

// h = f n for n below 2^17 (RFC 7748's a24, say), f's limbs below 2^53.
static inline void fe_mul_small(fe h, const fe f, uint32_t n) {
  fe_reduce_wide(h, (fe_wide)f[0] * n, (fe_wide)f[1] * n, (fe_wide)f[2] * n, (fe_wide)f[3] * n, (fe_wide)f[4] * n);
}

// Squaring needs 15 products instead of 25: the cross terms appear twice.
static inline void fe_sq(fe h, const fe f) {
  const uint64_t f0_2 = f[0] * 2, f1_2 = f[1] * 2;
  const uint64_t f1_38 = f[1] * 38, f2_38 = f[2] * 38, f3_38 = f[3] * 38, f3_19 = f[3] * 19, f4_19 = f[4] * 19;
  fe_wide c0 = (fe_wide)f[0] * f[0] + (fe_wide)f1_38 * f[4] + (fe_wide)f2_38 * f[3];
  fe_wide c1 = (fe_wide)f0_2 * f[1] + (fe_wide)f2_38 * f[4] + (fe_wide)f3_19 * f[3];
  fe_wide c2 = (fe_wide)f0_2 * f[2] + (fe_wide)f[1] * f[1] + (fe_wide)f3_38 * f[4];
  fe_wide c3 = (fe_wide)f0_2 * f[3] + (fe_wide)f1_2 * f[2] + (fe_wide)f4_19 * f[4];
  fe_wide c4 = (fe_wide)f0_2 * f[4] + (fe_wide)f1_2 * f[3] + (fe_wide)f[2] * f[2];
  fe_reduce_wide(h, c0, c1, c2, c3, c4);
}

static inline void fe_sq_times(fe h, const fe f, int times) {
  fe_sq(h, f);
  for (int i = 1; i < times; i++) fe_sq(h, h);
}

// h = z^(2^250 - 1), and z11 = z^11: the shared start of inversion and square roots.
static inline void fe_pow_2_250_minus_1(fe h, fe z11, const fe z) {
  fe z2, z9, t, z_5_0, z_10_0, z_20_0, z_50_0, z_100_0;
  fe_sq(z2, z);
  fe_sq_times(t, z2, 2);
  fe_mul(z9, t, z);
  fe_mul(z11, z9, z2);
  fe_sq(t, z11);
  fe_mul(z_5_0, t, z9);  // z^(2^5 - 1)
  fe_sq_times(t, z_5_0, 5);
  fe_mul(z_10_0, t, z_5_0);
  fe_sq_times(t, z_10_0, 10);
  fe_mul(z_20_0, t, z_10_0);
  fe_sq_times(t, z_20_0, 20);
  fe_mul(t, t, z_20_0);  // z^(2^40 - 1)
  fe_sq_times(t, t, 10);
  fe_mul(z_50_0, t, z_10_0);
  fe_sq_times(t, z_50_0, 50);
  fe_mul(z_100_0, t, z_50_0);
  fe_sq_times(t, z_100_0, 100);
  fe_mul(t, t, z_100_0);  // z^(2^200 - 1)
  fe_sq_times(t, t, 50);
  fe_mul(h, t, z_50_0);
}

// h = z^(p - 2) = z^(2^255 - 21) = 1/z for z != 0.
static inline void fe_invert(fe h, const fe z) {
  fe t, z11;
  fe_pow_2_250_minus_1(t, z11, z);
  fe_sq_times(t, t, 5);
  fe_mul(h, t, z11);
}

// The canonical little-endian encoding, the value fully reduced below p.
static inline void fe_tobytes(uint8_t out[32], const fe f) {
  fe h;
  fe_copy(h, f);
  fe_carry(h);
  fe_carry(h);
  // Now h < 2^255 + small. Adding 19 carries out of bit 255 exactly when h >= p.
  uint64_t q = (h[0] + 19) >> 51;
  q = (h[1] + q) >> 51;
  q = (h[2] + q) >> 51;
  q = (h[3] + q) >> 51;
  q = (h[4] + q) >> 51;
  h[0] += 19 * q;
  for (int i = 0; i < 4; i++) {
    h[i + 1] += h[i] >> 51;
    h[i] &= FE_MASK51;
  }
  h[4] &= FE_MASK51;
  const uint64_t words[4] = {
      h[0] | h[1] << 51,
      h[1] >> 13 | h[2] << 38,
      h[2] >> 26 | h[3] << 25,
      h[3] >> 39 | h[4] << 12,
  };
  for (int i = 0; i < 4; i++) {
    for (int j = 0; j < 8; j++) out[i * 8 + j] = (uint8_t)(words[i] >> (8 * j));
  }
}

// Little-endian bytes to limbs, bit 255 dropped as RFC 7748 asks; values up to 2^255 - 1 are kept unreduced.
static inline void fe_frombytes(fe h, const uint8_t in[32]) {
  uint64_t words[4] = {0, 0, 0, 0};
  for (int i = 0; i < 4; i++) {
    for (int j = 0; j < 8; j++) words[i] |= (uint64_t)in[i * 8 + j] << (8 * j);
  }
  words[3] &= ~(UINT64_C(1) << 63);
  h[0] = words[0] & FE_MASK51;
  h[1] = (words[0] >> 51 | words[1] << 13) & FE_MASK51;
  h[2] = (words[1] >> 38 | words[2] << 26) & FE_MASK51;
  h[3] = (words[2] >> 25 | words[3] << 39) & FE_MASK51;
  h[4] = words[3] >> 12;
}

// Sets h to g where `move` is 1, leaves it where 0; `move` must be 0 or 1.
static inline void fe_cmov(fe h, const fe g, uint64_t move) {
  const uint64_t mask = 0 - move;
  for (int i = 0; i < 5; i++) h[i] ^= mask & (h[i] ^ g[i]);
}

// Exchanges f and g where `swap` is 1, leaves them where 0; `swap` must be 0 or 1.
static inline void fe_cswap(fe f, fe g, uint64_t swap) {
  const uint64_t mask = 0 - swap;
  for (int i = 0; i < 5; i++) {
    const uint64_t difference = mask & (f[i] ^ g[i]);
    f[i] ^= difference;
    g[i] ^= difference;
  }
}

static inline int fe_equal(const fe f, const fe g) {
  uint8_t a[32], b[32], diff = 0;
  fe_tobytes(a, f);
  fe_tobytes(b, g);
  for (int i = 0; i < 32; i++) diff |= (uint8_t)(a[i] ^ b[i]);
  return diff == 0;
}

#endif
