// X25519 (RFC 7748) with the Montgomery ladder on AVX-512 IFMA.
//
// The ladder step has three rounds of field multiplications whose members are
// independent of each other, so each round is one 4-lane multiplication: a
// vector of four field elements keeps limb i of all four in one 256-bit
// register, a 64-bit lane each. With the state [x2, z2, x3, z3]:
//   round 1: [A, B, D, C] times [A, B, A, B]      = [AA, BB, DA, CB]
//   round 2: [AA, E, X, Z] times [BB, F, X, Z]    = [x2', z2', X^2, Z^2]
//   round 3: round 2 times [1, 1, 1, u]           = [x2', z2', x3', z3']
// where E = AA - BB, F = AA + a24 E, X = DA + CB, Z = DA - CB, so that round 3
// leaves the state in the layout round 1 reads. The conditional swap is folded
// into round 1's lane permutations, whose index the swap bit flips.
//
// Limbs are radix 2^51 as in field25519.h (which does the final inversion),
// not 2^52: vpmadd52luq/huq read only the low 52 bits of their inputs, and
// radix 2^51 leaves room for one parallel carry pass, instead of a serial one,
// to bring every multiplication input below 2^52. The high halves of the
// products then weigh 2^52 = 2 * 2^51, so they count twice.
//
// Bounds: after fe4_carry every limb is below 2^51 + 2^15. fe4_mul takes limbs
// below 2^52; its columns stay below 15 * 2^52 and, folded with 2^255 = 19,
// below 2^61, so no lane overflows.
//
// Constant time: the scalar only selects lane permutations through their index
// vector; no branch or address depends on it or on field values.
#include "x25519_ifma.h"

#include <string.h>

#if defined(__x86_64__)

#include <cpuid.h>
#include <immintrin.h>
#include <openssl/crypto.h>

#include "field25519.h"

#define IFMA __attribute__((target("avx512f,avx512vl,avx512ifma")))

typedef __m256i lanes;

// Four field elements, limb by limb.
typedef struct {
  lanes limb[5];
} fe4;

enum { A24 = 121665 };  // (486662 - 2) / 4, RFC 7748's ladder constant

enum { LANE0 = 1, LANE1 = 2, LANE2 = 4, LANE3 = 8 };

IFMA static inline lanes broadcast(uint64_t value) {
  return _mm256_set1_epi64x((long long)value);
}

// Moves each limb's bits above 51 into the next limb, the top limb's times 19 into the first.
IFMA static inline void fe4_carry(fe4 *h) {
  const lanes mask = broadcast(FE_MASK51);
  lanes carry[5];
  for (int i = 0; i < 5; i++) {
    carry[i] = _mm256_srli_epi64(h->limb[i], 51);
    h->limb[i] = _mm256_and_si256(h->limb[i], mask);
  }
  for (int i = 1; i < 5; i++) h->limb[i] = _mm256_add_epi64(h->limb[i], carry[i - 1]);
  h->limb[0] = _mm256_madd52lo_epu64(h->limb[0], carry[4], broadcast(19));
}

// 19x by shifts: x is too wide for vpmadd52luq, and vpmullq is slower.
IFMA static inline lanes times19(lanes x) {
  return _mm256_add_epi64(_mm256_add_epi64(x, _mm256_slli_epi64(x, 1)), _mm256_slli_epi64(x, 4));
}

IFMA static inline lanes twice(lanes x) {
  return _mm256_slli_epi64(x, 1);
}

IFMA static inline void fe4_mul(fe4 *h, const fe4 *f, const fe4 *g) {
  lanes lo[9], hi[9];
  for (int k = 0; k < 9; k++) lo[k] = hi[k] = _mm256_setzero_si256();
  for (int i = 0; i < 5; i++) {
    for (int j = 0; j < 5; j++) {
      lo[i + j] = _mm256_madd52lo_epu64(lo[i + j], f->limb[i], g->limb[j]);
      hi[i + j] = _mm256_madd52hi_epu64(hi[i + j], f->limb[i], g->limb[j]);
    }
  }
  // Column k of the product is lo[k] + 2 hi[k - 1]; 2^255 = 19 (mod p) folds column k + 5 onto k.
  for (int k = 0; k < 5; k++) {
    lanes low = lo[k], high = twice(hi[k + 4]);
    if (k > 0) low = _mm256_add_epi64(low, twice(hi[k - 1]));
    if (k < 4) high = _mm256_add_epi64(high, lo[k + 5]);
    h->limb[k] = _mm256_add_epi64(low, times19(high));
  }
  fe4_carry(h);
}

// Lanes in `negate` get f - g (as f + 2p - g), the others f + g; g's limbs must be below 2p's.
IFMA static inline void fe4_add_or_sub(fe4 *h, const fe4 *f, const fe4 *g, __mmask8 negate) {
  for (int i = 0; i < 5; i++) {
    const lanes two_p = broadcast(i == 0 ? 2 * (FE_MASK51 - 18) : 2 * FE_MASK51);
    h->limb[i] = _mm256_add_epi64(f->limb[i], _mm256_mask_sub_epi64(g->limb[i], negate, two_p, g->limb[i]));
  }
  fe4_carry(h);
}

// Lane l of h gets lane index[l] of f.
IFMA static inline void fe4_permute(fe4 *h, const fe4 *f, lanes index) {
  for (int i = 0; i < 5; i++) h->limb[i] = _mm256_permutexvar_epi64(index, f->limb[i]);
}

// The same in the lanes of `which` only; the others keep h's value.
IFMA static inline void fe4_permute_into(fe4 *h, const fe4 *f, lanes index, __mmask8 which) {
  for (int i = 0; i < 5; i++) h->limb[i] = _mm256_mask_permutexvar_epi64(h->limb[i], which, index, f->limb[i]);
}

// h += a24 f in the lanes of `which`. The products' high halves weigh 2 * 2^51, 2^255 = 19 again.
IFMA static inline void fe4_add_a24_times(fe4 *h, const fe4 *f, __mmask8 which) {
  const lanes a24 = broadcast(A24);
  lanes high[5];
  for (int i = 0; i < 5; i++) {
    h->limb[i] = _mm256_mask_madd52lo_epu64(h->limb[i], which, f->limb[i], a24);
    high[i] = _mm256_maskz_madd52hi_epu64(which, _mm256_setzero_si256(), f->limb[i], a24);
  }
  for (int i = 1; i < 5; i++) h->limb[i] = _mm256_add_epi64(h->limb[i], twice(high[i - 1]));
  h->limb[0] = _mm256_madd52lo_epu64(h->limb[0], high[4], broadcast(2 * 19));
  fe4_carry(h);
}

// One ladder step on state [x2, z2, x3, z3] (RFC 7748 section 5), after swapping
// (x2, z2) with (x3, z3) where `swap` is 2 in every lane rather than 0.
IFMA static inline void ladder_step(fe4 *state, const fe4 *u_in_lane3, lanes swap) {
  fe4 left, right, round1, round2;
  fe4_permute(&left, state, _mm256_xor_si256(_mm256_setr_epi64x(0, 0, 2, 2), swap));   // [x2, x2, x3, x3]
  fe4_permute(&right, state, _mm256_xor_si256(_mm256_setr_epi64x(1, 1, 3, 3), swap));  // [z2, z2, z3, z3]
  fe4_add_or_sub(&left, &left, &right, LANE1 | LANE2);                                 // [A, B, D, C]
  fe4_permute(&right, &left, _mm256_setr_epi64x(0, 1, 0, 1));                         // [A, B, A, B]
  fe4_mul(&round1, &left, &right);                                                     // [AA, BB, DA, CB]

  fe4_permute(&left, &round1, _mm256_setr_epi64x(0, 0, 2, 2));  // [AA, AA, DA, DA]
  for (int i = 0; i < 5; i++) right.limb[i] = _mm256_setzero_si256();
  fe4_permute_into(&right, &round1, _mm256_setr_epi64x(1, 1, 3, 3), LANE1 | LANE2 | LANE3);  // [0, BB, CB, CB]
  fe4_add_or_sub(&left, &left, &right, LANE1 | LANE3);                                        // [AA, E, X, Z]
  right = left;
  fe4_permute_into(&right, &round1, _mm256_setr_epi64x(1, 0, 0, 0), LANE0 | LANE1);  // [BB, AA, X, Z]
  fe4_add_a24_times(&right, &left, LANE1);                                            // [BB, F, X, Z]
  fe4_mul(&round2, &left, &right);

  fe4_mul(state, &round2, u_in_lane3);
}

// x2 / z2 of the ladder's result, before the inversion.
IFMA static void ladder(fe x2, fe z2, const uint8_t scalar[32], const fe u) {
  fe4 state, u_in_lane3;
  for (int i = 0; i < 5; i++) {
    const long long one = i == 0;
    state.limb[i] = _mm256_setr_epi64x(one, 0, (long long)u[i], one);  // [1, 0, u, 1]
    u_in_lane3.limb[i] = _mm256_setr_epi64x(one, one, one, (long long)u[i]);
  }
  uint64_t swap = 0;
  for (int t = 254; t >= 0; t--) {
    const uint64_t bit = (scalar[t >> 3] >> (t & 7)) & 1;
    ladder_step(&state, &u_in_lane3, broadcast((swap ^ bit) << 1));
    swap = bit;
  }
  fe4_permute(&state, &state, _mm256_xor_si256(_mm256_setr_epi64x(0, 1, 2, 3), broadcast(swap << 1)));
  _Alignas(32) uint64_t limbs[5][4];
  for (int i = 0; i < 5; i++) {
    _mm256_store_si256((lanes *)limbs[i], state.limb[i]);
    x2[i] = limbs[i][0];
    z2[i] = limbs[i][1];
  }
  OPENSSL_cleanse(limbs, sizeof(limbs));
  OPENSSL_cleanse(&state, sizeof(state));
}

// Little-endian bytes to limbs, bit 255 dropped as RFC 7748 asks; values up to 2^255 - 1 are kept unreduced.
static void fe_frombytes(fe h, const uint8_t in[32]) {
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

void x25519_ifma(uint8_t out[32], const uint8_t private_key[32], const uint8_t public_key[32]) {
  uint8_t scalar[32];
  fe u, x, z;
  memcpy(scalar, private_key, sizeof(scalar));
  scalar[0] &= 248;
  scalar[31] = (uint8_t)((scalar[31] & 127) | 64);
  fe_frombytes(u, public_key);
  ladder(x, z, scalar, u);
  fe_invert(z, z);
  fe_mul(x, x, z);
  fe_tobytes(out, x);
  OPENSSL_cleanse(scalar, sizeof(scalar));
  OPENSSL_cleanse(x, sizeof(x));
  OPENSSL_cleanse(z, sizeof(z));
}

bool x25519_ifma_supported(void) {
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE)) return false;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  const unsigned int needed = bit_AVX512F | bit_AVX512VL | bit_AVX512IFMA;
  if ((ebx & needed) != needed) return false;
  uint32_t xcr0, xcr0_high;
  __asm__("xgetbv" : "=a"(xcr0), "=d"(xcr0_high) : "c"(0));
  (void)xcr0_high;
  // SSE, AVX, the opmask registers and both parts of the ZMM state, saved by the OS.
  const uint32_t zmm_state = 1u << 1 | 1u << 2 | 1u << 5 | 1u << 6 | 1u << 7;
  return (xcr0 & zmm_state) == zmm_state;
}

#else

bool x25519_ifma_supported(void) {
  return false;
}

void x25519_ifma(uint8_t out[32], const uint8_t private_key[32], const uint8_t public_key[32]) {
  (void)private_key;
  (void)public_key;
  memset(out, 0, 32);
}

#endif
