// Poly1305 four blocks at a time on AVX2. Four accumulators run side by side,
// one per 64-bit lane, each taking every fourth block and multiplying by r^4;
// at the end lane j is multiplied by the power of r its last block still owes
// (r^4, r^3, r^2 or r) and the lanes are summed, which gives the same polynomial
// as one block at a time. Limbs are radix 2^26, so that vpmuludq's 32x32-bit
// products of a limb (below 2^27) and 5 times a limb of r (below 2^29) sum to
// below 2^59 over five columns.
//
// Constant time: no branch or index depends on the key or the data.
#include "poly1305_avx2.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include "wipe.h"

#define AVX2 __attribute__((target("avx2")))
#define AVX2_INLINE __attribute__((target("avx2"), always_inline)) static inline

#define MASK26 ((UINT64_C(1) << 26) - 1)
#define MASK44 ((UINT64_C(1) << 44) - 1)

// Five radix-2^26 limbs, one 64-bit lane per accumulator.
typedef struct {
  __m256i limb[5];
} fe4;

// Radix 2^44 (h0 + h1 2^44 + h2 2^88, h1 < 2^45, h2 < 2^43) to radix 2^26; the top limb may exceed 2^26 a little.
static void to_radix26(uint64_t out[5], const uint64_t h[3]) {
  const uint64_t h0 = h[0], h1 = h[1] & MASK44, h2 = h[2] + (h[1] >> 44);
  out[0] = h0 & MASK26;
  out[1] = (h0 >> 26 | h1 << 18) & MASK26;
  out[2] = (h1 >> 8) & MASK26;
  out[3] = (h1 >> 34 | h2 << 10) & MASK26;
  out[4] = h2 >> 16;
}

// Radix 2^26 limbs below 2^28 to radix 2^44, with h2 below 2^43: not fully reduced, which the scalar code accepts.
static void from_radix26(uint64_t h[3], const uint64_t limb[5]) {
  const uint64_t t0 = limb[0] + (limb[1] << 26);
  const uint64_t t1 = (t0 >> 44) + (limb[2] << 8) + (limb[3] << 34);
  h[0] = t0 & MASK44;
  h[1] = t1 & MASK44;
  h[2] = (t1 >> 44) + (limb[4] << 16);
}

// Four blocks, lanes in the order data + 0, 32, 16, 48 (what unpacking two 256-bit loads gives), as limbs plus 2^128.
AVX2_INLINE void load_blocks(fe4 *m, const uint8_t *data) {
  const __m256i first = _mm256_loadu_si256((const __m256i *)data);
  const __m256i second = _mm256_loadu_si256((const __m256i *)(data + 32));
  const __m256i low = _mm256_unpacklo_epi64(first, second), high = _mm256_unpackhi_epi64(first, second);
  const __m256i mask = _mm256_set1_epi64x((long long)MASK26);
  m->limb[0] = _mm256_and_si256(low, mask);
  m->limb[1] = _mm256_and_si256(_mm256_srli_epi64(low, 26), mask);
  m->limb[2] = _mm256_and_si256(_mm256_or_si256(_mm256_srli_epi64(low, 52), _mm256_slli_epi64(high, 12)), mask);
  m->limb[3] = _mm256_and_si256(_mm256_srli_epi64(high, 14), mask);
  m->limb[4] = _mm256_or_si256(_mm256_srli_epi64(high, 40), _mm256_set1_epi64x(1 << 24));
}

// h = h r, lane by lane; r5 = 5 r. Products that reach 2^130 fold back times 5. Carried to limbs below 2^26 + 2^8.
AVX2_INLINE void multiply(fe4 *h, const fe4 *r, const fe4 *r5) {
  const __m256i *x = h->limb;
  __m256i d[5];
  for (int k = 0; k < 5; k++) {
    d[k] = _mm256_setzero_si256();
    for (int i = 0; i < 5; i++) {
      const int j = k - i;
      const __m256i y = j >= 0 ? r->limb[j] : r5->limb[j + 5];
      d[k] = _mm256_add_epi64(d[k], _mm256_mul_epu32(x[i], y));
    }
  }
  const __m256i mask = _mm256_set1_epi64x((long long)MASK26);
  for (int k = 0; k < 4; k++) {
    d[k + 1] = _mm256_add_epi64(d[k + 1], _mm256_srli_epi64(d[k], 26));
    d[k] = _mm256_and_si256(d[k], mask);
  }
  const __m256i top = _mm256_srli_epi64(d[4], 26);
  d[4] = _mm256_and_si256(d[4], mask);
  d[0] = _mm256_add_epi64(d[0], _mm256_add_epi64(top, _mm256_slli_epi64(top, 2)));
  d[1] = _mm256_add_epi64(d[1], _mm256_srli_epi64(d[0], 26));
  d[0] = _mm256_and_si256(d[0], mask);
  for (int k = 0; k < 5; k++) h->limb[k] = d[k];
}

AVX2_INLINE void add(fe4 *h, const fe4 *m) {
  for (int k = 0; k < 5; k++) h->limb[k] = _mm256_add_epi64(h->limb[k], m->limb[k]);
}

// Lane l of r holds the limbs of *lane[l], and r5 five times them.
AVX2_INLINE void set_powers(fe4 *r, fe4 *r5, const uint64_t *const lane[4]) {
  for (int k = 0; k < 5; k++) {
    r->limb[k] = _mm256_setr_epi64x((long long)lane[0][k], (long long)lane[1][k], (long long)lane[2][k],
                                    (long long)lane[3][k]);
    r5->limb[k] = _mm256_add_epi64(r->limb[k], _mm256_slli_epi64(r->limb[k], 2));
  }
}

AVX2 void poly1305_avx2_blocks(uint64_t h[3], const uint64_t r_powers[4][3], const uint8_t *data, size_t blocks) {
  uint64_t start[5], power[4][5], sum[5];
  for (int p = 0; p < 4; p++) to_radix26(power[p], r_powers[p]);
  to_radix26(start, h);
  // Lanes hold blocks 0, 2, 1 and 3 of each four; after the last, they still owe r^4, r^2, r^3 and r.
  const uint64_t *const every_lane_r4[4] = {power[3], power[3], power[3], power[3]};
  const uint64_t *const owed[4] = {power[3], power[1], power[2], power[0]};
  fe4 acc, m, r, r5;
  load_blocks(&acc, data);
  for (int k = 0; k < 5; k++) acc.limb[k] = _mm256_add_epi64(acc.limb[k], _mm256_setr_epi64x((long long)start[k], 0, 0, 0));
  set_powers(&r, &r5, every_lane_r4);
  for (size_t done = 4; done < blocks; done += 4) {
    multiply(&acc, &r, &r5);
    load_blocks(&m, data + done * 16);
    add(&acc, &m);
  }
  set_powers(&r, &r5, owed);
  multiply(&acc, &r, &r5);
  for (int k = 0; k < 5; k++) {
    const __m128i pair = _mm_add_epi64(_mm256_castsi256_si128(acc.limb[k]), _mm256_extracti128_si256(acc.limb[k], 1));
    sum[k] = (uint64_t)_mm_cvtsi128_si64(pair) + (uint64_t)_mm_extract_epi64(pair, 1);
  }
  from_radix26(h, sum);
  wipe(power, sizeof(power));
  wipe(start, sizeof(start));
  wipe(sum, sizeof(sum));
  _mm256_zeroall();
}

#else

void poly1305_avx2_blocks(uint64_t h[3], const uint64_t r_powers[4][3], const uint8_t *data, size_t blocks) {
  (void)h;
  (void)r_powers;
  (void)data;
  (void)blocks;
}

#endif
