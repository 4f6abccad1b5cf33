// X25519 (RFC 7748) with the Montgomery ladder on AVX-512 IFMA.
//
// A vector of field elements keeps limb i of each in one 512-bit register, a
// 64-bit lane each, so one vector multiplication makes eight independent
// products. The products of a ladder step come in rounds whose members do
// not depend on each other, and each round is one such multiplication.
//
// A pair of ladders, each with its own scalar and point, runs side by side in
// lanes 0-3 and 4-7, with a ladder's state [x2, z2, x3, z3]:
//   round 1: [A, B, D, C] times [A, B, A, B]      = [AA, BB, DA, CB]
//   round 2: [AA, E, X, Z] times [BB, F, X, Z]    = [x2', z2', X^2, Z^2]
//   round 3: round 2 times [1, 1, 1, u]           = [x2', z2', x3', z3']
// where E = AA - BB, F = AA + a24 E, X = DA + CB, Z = DA - CB, so that round 3
// leaves the state in the layout round 1 reads. A lone ladder instead keeps u
// times its state in lanes 4-7, which folds round 3 into the other two (see
// scaled_ladder_step): two rounds a step, against three for two ladders. 512-bit
// IFMA instructions issue at the rate of 256-bit ones here (two a cycle), which
// is what makes the wider vectors pay. The conditional swap is folded into
// round 1's lane permutations, whose index the swap bit flips.
//
// Limbs are radix 2^51 as in field25519.h (which does the final inversion),
// not 2^52: vpmadd52luq/huq read only the low 52 bits of their inputs, and
// radix 2^51 leaves room for one parallel carry pass, instead of a serial one,
// to bring every multiplication input below 2^52. The high halves of the
// products then weigh 2^52 = 2 * 2^51, so they count twice.
//
// Bounds: fe8_mul takes limbs below 2^52; its columns stay below 15 * 2^52 and,
// folded with 2^255 = 19, its limbs below 2^61. fe8_carry brings limbs below
// 2^62 to below 2^51 + 2^16. Products that only feed additions skip the carry,
// which the sums need anyway: fe8_add_or_sub subtracts from 2^10 p, whose limbs
// are above 2^60.3, and carries.
//
// Constant time: the scalars only select lane permutations through their index
// vectors; no branch or address depends on them or on field values.
#include "x25519_ifma.h"

#include <string.h>

#if defined(__x86_64__)

#include <cpuid.h>
#include <immintrin.h>

#include "field25519.h"
#include "wipe.h"
#include "x25519_clamp.h"

#define IFMA __attribute__((target("avx512f,avx512ifma")))

typedef __m512i lanes;

// Eight field elements, limb by limb, in one of the two layouts described at the top.
typedef struct {
  lanes limb[5];
} fe8;

enum { A24 = 121665 };  // (486662 - 2) / 4, RFC 7748's ladder constant

// For a pair, lane masks and permutation indices name lanes 0-3 and apply to both ladders alike.
enum { LANE0 = 0x11, LANE1 = 0x22, LANE2 = 0x44, LANE3 = 0x88 };

IFMA static inline lanes lane_index(long long l0, long long l1, long long l2, long long l3) {
  return _mm512_setr_epi64(l0, l1, l2, l3, l0 + 4, l1 + 4, l2 + 4, l3 + 4);
}

IFMA static inline lanes broadcast(uint64_t value) {
  return _mm512_set1_epi64((long long)value);
}

// Moves each limb's bits above 51 into the next limb, the top limb's times 19 into the first.
IFMA static inline void fe8_carry(fe8 *h) {
  const lanes mask = broadcast(FE_MASK51);
  lanes carry[5];
  for (int i = 0; i < 5; i++) {
    carry[i] = _mm512_srli_epi64(h->limb[i], 51);
    h->limb[i] = _mm512_and_si512(h->limb[i], mask);
  }
  for (int i = 1; i < 5; i++) h->limb[i] = _mm512_add_epi64(h->limb[i], carry[i - 1]);
  h->limb[0] = _mm512_madd52lo_epu64(h->limb[0], carry[4], broadcast(19));
}

// 19x by shifts: x is too wide for vpmadd52luq, and vpmullq is slower.
IFMA static inline lanes times19(lanes x) {
  return _mm512_add_epi64(_mm512_add_epi64(x, _mm512_slli_epi64(x, 1)), _mm512_slli_epi64(x, 4));
}

IFMA static inline lanes twice(lanes x) {
  return _mm512_slli_epi64(x, 1);
}

// h = f g with limbs up to 2^61, for a product that is only added to or subtracted from.
IFMA static inline void fe8_mul_uncarried(fe8 *h, const fe8 *f, const fe8 *g) {
  lanes lo[9], hi[9];
  for (int k = 0; k < 9; k++) lo[k] = hi[k] = _mm512_setzero_si512();
  for (int i = 0; i < 5; i++) {
    for (int j = 0; j < 5; j++) {
      lo[i + j] = _mm512_madd52lo_epu64(lo[i + j], f->limb[i], g->limb[j]);
      hi[i + j] = _mm512_madd52hi_epu64(hi[i + j], f->limb[i], g->limb[j]);
    }
  }
  // Column k of the product is lo[k] + 2 hi[k - 1]; 2^255 = 19 (mod p) folds column k + 5 onto k.
  for (int k = 0; k < 5; k++) {
    lanes low = lo[k], high = twice(hi[k + 4]);
    if (k > 0) low = _mm512_add_epi64(low, twice(hi[k - 1]));
    if (k < 4) high = _mm512_add_epi64(high, lo[k + 5]);
    h->limb[k] = _mm512_add_epi64(low, times19(high));
  }
}

IFMA static inline void fe8_mul(fe8 *h, const fe8 *f, const fe8 *g) {
  fe8_mul_uncarried(h, f, g);
  fe8_carry(h);
}

// Lanes in `negate` get f - g (as f + 2^10 p - g), the others f + g, carried; limbs up to 2^61 in.
IFMA static inline void fe8_add_or_sub(fe8 *h, const fe8 *f, const fe8 *g, __mmask8 negate) {
  for (int i = 0; i < 5; i++) {
    const lanes p_times_1024 = broadcast((i == 0 ? FE_MASK51 - 18 : FE_MASK51) << 10);
    h->limb[i] = _mm512_add_epi64(f->limb[i], _mm512_mask_sub_epi64(g->limb[i], negate, p_times_1024, g->limb[i]));
  }
  fe8_carry(h);
}

// Lane l of h gets lane index[l] of f.
IFMA static inline void fe8_permute(fe8 *h, const fe8 *f, lanes index) {
  for (int i = 0; i < 5; i++) h->limb[i] = _mm512_permutexvar_epi64(index, f->limb[i]);
}

// The same in the lanes of `which`; the others get 0.
IFMA static inline void fe8_permute_or_zero(fe8 *h, const fe8 *f, lanes index, __mmask8 which) {
  for (int i = 0; i < 5; i++) h->limb[i] = _mm512_maskz_permutexvar_epi64(which, index, f->limb[i]);
}

// The same in the lanes of `which` only; the others keep h's value.
IFMA static inline void fe8_permute_into(fe8 *h, const fe8 *f, lanes index, __mmask8 which) {
  for (int i = 0; i < 5; i++) h->limb[i] = _mm512_mask_permutexvar_epi64(h->limb[i], which, index, f->limb[i]);
}

// h += a24 f in the lanes of `which`, carried; f's limbs below 2^52, h's up to 2^61.
// The products' high halves weigh 2 * 2^51, and 2^255 = 19 again.
IFMA static inline void fe8_add_a24_times(fe8 *h, const fe8 *f, __mmask8 which) {
  const lanes a24 = broadcast(A24);
  lanes high[5];
  for (int i = 0; i < 5; i++) {
    h->limb[i] = _mm512_mask_madd52lo_epu64(h->limb[i], which, f->limb[i], a24);
    high[i] = _mm512_maskz_madd52hi_epu64(which, _mm512_setzero_si512(), f->limb[i], a24);
  }
  for (int i = 1; i < 5; i++) h->limb[i] = _mm512_add_epi64(h->limb[i], twice(high[i - 1]));
  h->limb[0] = _mm512_madd52lo_epu64(h->limb[0], high[4], broadcast(2 * 19));
  fe8_carry(h);
}

// h = the field element in lane `lane` of f.
IFMA static void fe8_lane(fe h, const fe8 *f, int lane) {
  _Alignas(64) uint64_t limb[8];
  for (int i = 0; i < 5; i++) {
    _mm512_store_si512((lanes *)limb, f->limb[i]);
    h[i] = limb[lane];
  }
  wipe(limb, sizeof(limb));
}

// One step of a lone ladder, whose state [x2, z2, x3, z3, ux2, uz2, ux3, uz3]
// carries u times itself in lanes 4-7, after swapping (x2, z2) with (x3, z3)
// where `swap` is 2 in every lane rather than 0. The multiplication by u then
// joins the others, and the step takes two rounds instead of three:
//   round 1: [A, B, D, C, uD, uC, uA, uB] times [A, B, A, B, A, B, A, B]
//          = [AA, BB, DA, CB, uDA, uCB, uAA, uBB]
//   round 2: [AA, E, X, Z, uAA, uE, uX, uZ] times [BB, F, X, uZ, BB, F, X, uZ]
//          = [x2', z2', x3', z3', ux2', uz2', ux3', uz3']
// since z3' = u Z^2 = Z uZ, u z3' = uZ uZ, and everything else is linear in u.
IFMA static inline void scaled_ladder_step(fe8 *state, lanes swap) {
  fe8 left, right, round1;
  fe8_permute(&left, state, _mm512_xor_si512(_mm512_setr_epi64(0, 0, 2, 2, 6, 6, 4, 4), swap));
  fe8_permute(&right, state, _mm512_xor_si512(_mm512_setr_epi64(1, 1, 3, 3, 7, 7, 5, 5), swap));
  fe8_add_or_sub(&left, &left, &right, 0x96);                                // lanes 1, 2, 4, 7
  fe8_permute(&right, &left, _mm512_setr_epi64(0, 1, 0, 1, 0, 1, 0, 1));  // [A, B] four times
  fe8_mul_uncarried(&round1, &left, &right);

  fe8_permute(&left, &round1, _mm512_setr_epi64(0, 0, 2, 2, 6, 6, 4, 4));               // [AA, AA, DA, DA, uAA, uAA, uDA, uDA]
  fe8_permute_or_zero(&right, &round1, _mm512_setr_epi64(0, 1, 3, 3, 0, 7, 5, 5), 0xee);  // [0, BB, CB, CB, 0, uBB, uCB, uCB]
  fe8_add_or_sub(&left, &left, &right, 0xaa);                                             // [AA, E, X, Z, uAA, uE, uX, uZ]
  right = left;
  fe8_permute_into(&right, &round1, _mm512_setr_epi64(1, 0, 0, 0, 0, 0, 0, 0), 0x03);  // BB, AA in lanes 0, 1
  fe8_add_a24_times(&right, &left, 0x02);                                               // F in lane 1
  fe8_permute(&right, &right, _mm512_setr_epi64(0, 1, 2, 7, 0, 1, 2, 7));               // [BB, F, X, uZ] twice
  fe8_mul_uncarried(state, &left, &right);
}

// x2 / z2 of a lone ladder's result, before the inversion.
IFMA static void scaled_ladder(fe x2, fe z2, const uint8_t scalar[32], const fe u) {
  fe u_squared;
  fe_sq(u_squared, u);
  fe8 state;
  for (int i = 0; i < 5; i++) {
    const long long one = i == 0, ui = (long long)u[i];
    state.limb[i] = _mm512_setr_epi64(one, 0, ui, one, ui, 0, (long long)u_squared[i], ui);  // x2 = 1, z2 = 0, x3 = u, z3 = 1
  }
  uint64_t swap = 0;
  for (int t = 254; t >= 0; t--) {
    const uint64_t bit = (scalar[t >> 3] >> (t & 7)) & 1;
    scaled_ladder_step(&state, broadcast((swap ^ bit) << 1));
    swap = bit;
  }
  fe8_permute(&state, &state, _mm512_xor_si512(_mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7), broadcast(swap << 1)));
  fe8_carry(&state);
  fe8_lane(x2, &state, 0);
  fe8_lane(z2, &state, 1);
  wipe(&state, sizeof(state));
}

// 2 in the lanes of a ladder whose points are to be swapped, 0 in the others: XORed into a lane index.
IFMA static inline lanes swap_index(uint64_t swap0, uint64_t swap1) {
  return _mm512_mask_blend_epi64(0xf0, broadcast(swap0 << 1), broadcast(swap1 << 1));
}

// One ladder step on both states of a pair (see the top of the file), after swapping
// (x2, z2) with (x3, z3) in the ladders where `swap` is 2 rather than 0.
IFMA static inline void ladder_step(fe8 *state, const fe8 *u_in_lane3, lanes swap) {
  fe8 left, right, round1, round2;
  fe8_permute(&left, state, _mm512_xor_si512(lane_index(0, 0, 2, 2), swap));   // [x2, x2, x3, x3]
  fe8_permute(&right, state, _mm512_xor_si512(lane_index(1, 1, 3, 3), swap));  // [z2, z2, z3, z3]
  fe8_add_or_sub(&left, &left, &right, LANE1 | LANE2);                           // [A, B, D, C]
  fe8_permute(&right, &left, lane_index(0, 1, 0, 1));                            // [A, B, A, B]
  fe8_mul_uncarried(&round1, &left, &right);                                     // [AA, BB, DA, CB]

  fe8_permute(&left, &round1, lane_index(0, 0, 2, 2));                                  // [AA, AA, DA, DA]
  fe8_permute_or_zero(&right, &round1, lane_index(1, 1, 3, 3), LANE1 | LANE2 | LANE3);  // [0, BB, CB, CB]
  fe8_add_or_sub(&left, &left, &right, LANE1 | LANE3);                                  // [AA, E, X, Z]
  right = left;
  fe8_permute_into(&right, &round1, lane_index(1, 0, 0, 0), LANE0 | LANE1);  // [BB, AA, X, Z]
  fe8_add_a24_times(&right, &left, LANE1);                                   // [BB, F, X, Z]
  fe8_mul(&round2, &left, &right);                                           // [x2', z2', X^2, Z^2]

  fe8_mul_uncarried(state, &round2, u_in_lane3);  // [x2', z2', x3', z3']
}

// x2 / z2 of both ladders' results, before the inversion.
IFMA static void ladders(fe x2[2], fe z2[2], const uint8_t scalar[2][32], const fe u[2]) {
  fe8 state, u_in_lane3;
  for (int i = 0; i < 5; i++) {
    const long long one = i == 0, u0 = (long long)u[0][i], u1 = (long long)u[1][i];
    state.limb[i] = _mm512_setr_epi64(one, 0, u0, one, one, 0, u1, one);  // [1, 0, u, 1] twice
    u_in_lane3.limb[i] = _mm512_setr_epi64(one, one, one, u0, one, one, one, u1);
  }
  uint64_t swap[2] = {0, 0};
  for (int t = 254; t >= 0; t--) {
    uint64_t bit[2];
    for (int l = 0; l < 2; l++) bit[l] = (scalar[l][t >> 3] >> (t & 7)) & 1;
    ladder_step(&state, &u_in_lane3, swap_index(swap[0] ^ bit[0], swap[1] ^ bit[1]));
    for (int l = 0; l < 2; l++) swap[l] = bit[l];
  }
  fe8_permute(&state, &state, _mm512_xor_si512(lane_index(0, 1, 2, 3), swap_index(swap[0], swap[1])));
  fe8_carry(&state);
  for (int l = 0; l < 2; l++) {
    fe8_lane(x2[l], &state, 4 * l);
    fe8_lane(z2[l], &state, 4 * l + 1);
  }
  wipe(&state, sizeof(state));
}

// Where z = 0 (a low-order point) X25519 is 0: x becomes 0 and z 1, so that the
// inversion shared with the other ladder still works.
static void fe_guard_zero(fe x, fe z) {
  uint8_t bytes[32], any = 0;
  fe_tobytes(bytes, z);
  for (int i = 0; i < 32; i++) any |= bytes[i];
  wipe(bytes, sizeof(bytes));
  const uint64_t zero = (((uint64_t)any - 1) >> 8) & 1;
  static const fe one = {1, 0, 0, 0, 0}, nil = {0, 0, 0, 0, 0};
  fe_cmov(z, one, zero);
  fe_cmov(x, nil, zero);
}

void x25519_ifma(uint8_t out[32], const uint8_t private_key[32], const uint8_t public_key[32]) {
  uint8_t scalar[32];
  fe u, x, z;
  x25519_clamp(scalar, private_key);
  fe_frombytes(u, public_key);
  scaled_ladder(x, z, scalar, u);
  fe_invert(z, z);
  fe_mul(x, x, z);
  fe_tobytes(out, x);
  wipe(scalar, sizeof(scalar));
  wipe(x, sizeof(x));
  wipe(z, sizeof(z));
}

void x25519_ifma_pair(uint8_t *const out[2], const uint8_t *const private_key[2], const uint8_t *const public_key[2]) {
  uint8_t scalar[2][32];
  fe u[2], x[2], z[2], inverse;
  for (int l = 0; l < 2; l++) {
    x25519_clamp(scalar[l], private_key[l]);
    fe_frombytes(u[l], public_key[l]);
  }
  ladders(x, z, scalar, u);
  // One inversion for both (Montgomery's trick): 1/z0 = z1 / (z0 z1) and the other way round.
  for (int l = 0; l < 2; l++) fe_guard_zero(x[l], z[l]);
  fe_mul(inverse, z[0], z[1]);
  fe_invert(inverse, inverse);
  fe_mul(x[0], x[0], z[1]);
  fe_mul(x[1], x[1], z[0]);
  for (int l = 0; l < 2; l++) {
    fe_mul(x[l], x[l], inverse);
    fe_tobytes(out[l], x[l]);
  }
  wipe(scalar, sizeof(scalar));
  wipe(x, sizeof(x));
  wipe(z, sizeof(z));
  wipe(inverse, sizeof(inverse));
}

bool x25519_ifma_supported(void) {
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE)) return false;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  const unsigned int needed = bit_AVX512F | bit_AVX512IFMA;
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

void x25519_ifma_pair(uint8_t *const out[2], const uint8_t *const private_key[2], const uint8_t *const public_key[2]) {
  (void)private_key;
  (void)public_key;
  for (int l = 0; l < 2; l++) memset(out[l], 0, 32);
}

void x25519_ifma(uint8_t out[32], const uint8_t private_key[32], const uint8_t public_key[32]) {
  (void)private_key;
  (void)public_key;
  memset(out, 0, 32);
}

#endif
