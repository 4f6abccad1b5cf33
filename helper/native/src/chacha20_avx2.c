// ChaCha20 on AVX2: eight blocks side by side, word i of block j in 32-bit lane j
// of vector i, so that each instruction of the rounds serves all eight. The
// rotations by 16 and 8 move whole bytes and are byte shuffles; those by 12 and
// 7 are two shifts and an or. At the end an 8x8 transpose of each half of the
// state turns lanes back into blocks.
//
// Nothing is branched on or used as an index but lengths and the loop counters,
// so this runs in constant time as well.
#include "chacha20_avx2.h"

#if defined(__x86_64__)

#include <cpuid.h>
#include <immintrin.h>
#include <string.h>

#include "chacha20.h"
#include "wipe.h"

#define AVX2 __attribute__((target("avx2")))
#define AVX2_INLINE __attribute__((target("avx2"), always_inline)) static inline

enum { LANES = 8, RUN_BYTES = LANES * CHACHA20_BLOCK_BYTES };

// A remainder this long is cheaper as one more run of eight into a buffer than one block at a time.
enum { REMAINDER_WORTH_A_RUN = 4 * CHACHA20_BLOCK_BYTES };

#define ROTATE(v, bits) _mm256_or_si256(_mm256_slli_epi32(v, bits), _mm256_srli_epi32(v, 32 - (bits)))

#define QUARTER_ROUND(x, a, b, c, d, rot16, rot8)                  \
  do {                                                             \
    x[a] = _mm256_add_epi32(x[a], x[b]);                           \
    x[d] = _mm256_shuffle_epi8(_mm256_xor_si256(x[d], x[a]), rot16); \
    x[c] = _mm256_add_epi32(x[c], x[d]);                           \
    x[b] = ROTATE(_mm256_xor_si256(x[b], x[c]), 12);               \
    x[a] = _mm256_add_epi32(x[a], x[b]);                           \
    x[d] = _mm256_shuffle_epi8(_mm256_xor_si256(x[d], x[a]), rot8);  \
    x[c] = _mm256_add_epi32(x[c], x[d]);                           \
    x[b] = ROTATE(_mm256_xor_si256(x[b], x[c]), 7);                \
  } while (0)

// Eight blocks from counter state[12] on, block j's words in lane j. Inlined, like
// the helpers below, so that the key stream stays in registers and locals whose
// address never escapes; chacha20_avx2_xor clears the registers when it is done.
AVX2_INLINE void eight_blocks(__m256i x[CHACHA20_WORDS], const uint32_t state[CHACHA20_WORDS]) {
  const __m256i rot16 = _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5,
                                         10, 11, 8, 9, 14, 15, 12, 13);
  const __m256i rot8 = _mm256_setr_epi8(3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14, 3, 0, 1, 2, 7, 4, 5, 6,
                                        11, 8, 9, 10, 15, 12, 13, 14);
  const __m256i counters = _mm256_add_epi32(_mm256_set1_epi32((int)state[CHACHA20_COUNTER]),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (int i = 0; i < CHACHA20_WORDS; i++) x[i] = _mm256_set1_epi32((int)state[i]);
  x[CHACHA20_COUNTER] = counters;
  for (int i = 0; i < 10; i++) {
    QUARTER_ROUND(x, 0, 4, 8, 12, rot16, rot8);
    QUARTER_ROUND(x, 1, 5, 9, 13, rot16, rot8);
    QUARTER_ROUND(x, 2, 6, 10, 14, rot16, rot8);
    QUARTER_ROUND(x, 3, 7, 11, 15, rot16, rot8);
    QUARTER_ROUND(x, 0, 5, 10, 15, rot16, rot8);
    QUARTER_ROUND(x, 1, 6, 11, 12, rot16, rot8);
    QUARTER_ROUND(x, 2, 7, 8, 13, rot16, rot8);
    QUARTER_ROUND(x, 3, 4, 9, 14, rot16, rot8);
  }
  for (int i = 0; i < CHACHA20_WORDS; i++) {
    x[i] = _mm256_add_epi32(x[i], i == CHACHA20_COUNTER ? counters : _mm256_set1_epi32((int)state[i]));
  }
}

// Rows r[0..7] (word i of blocks 0-7) become columns: r[j] = words 0-7 of block j.
AVX2_INLINE void transpose8(__m256i r[LANES]) {
  __m256i t[LANES], u[LANES];
  for (int i = 0; i < LANES; i += 2) {
    t[i] = _mm256_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_epi32(r[i], r[i + 1]);
  }
  for (int i = 0; i < LANES; i += 4) {
    u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
    u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
    u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
    u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  // u[k] and u[k + 4] hold blocks k and k + 4, for words 0-3 and 4-7 respectively.
  for (int k = 0; k < 4; k++) {
    r[k] = _mm256_permute2x128_si256(u[k], u[k + 4], 0x20);
    r[k + 4] = _mm256_permute2x128_si256(u[k], u[k + 4], 0x31);
  }
}

// Eight blocks of key stream XORed into in[0..512), giving out.
AVX2_INLINE void xor_run(uint8_t *out, const uint8_t *in, const uint32_t state[CHACHA20_WORDS]) {
  __m256i x[CHACHA20_WORDS];
  eight_blocks(x, state);
  transpose8(x);
  transpose8(x + LANES);
  for (int j = 0; j < LANES; j++) {
    const uint8_t *from = in + j * CHACHA20_BLOCK_BYTES;
    uint8_t *to = out + j * CHACHA20_BLOCK_BYTES;
    _mm256_storeu_si256((__m256i *)to, _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)from), x[j]));
    _mm256_storeu_si256((__m256i *)(to + 32),
                        _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(from + 32)), x[LANES + j]));
  }
}

AVX2 size_t chacha20_avx2_xor(uint8_t *out, const uint8_t *in, size_t length, uint32_t state[CHACHA20_WORDS]) {
  size_t done = 0;
  for (; length - done >= RUN_BYTES; done += RUN_BYTES) {
    xor_run(out + done, in + done, state);
    state[CHACHA20_COUNTER] += LANES;
  }
  const size_t rest = length - done;
  if (rest >= REMAINDER_WORTH_A_RUN) {
    uint8_t buffer[RUN_BYTES];
    memcpy(buffer, in + done, rest);
    memset(buffer + rest, 0, RUN_BYTES - rest);
    xor_run(buffer, buffer, state);
    memcpy(out + done, buffer, rest);
    state[CHACHA20_COUNTER] += (uint32_t)((rest + CHACHA20_BLOCK_BYTES - 1) / CHACHA20_BLOCK_BYTES);
    done = length;
    wipe(buffer, sizeof(buffer));
  }
  _mm256_zeroall();
  return done;
}

bool chacha20_avx2_supported(void) {
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE) || !(ecx & bit_AVX)) return false;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) || !(ebx & bit_AVX2)) return false;
  uint32_t xcr0, xcr0_high;
  __asm__("xgetbv" : "=a"(xcr0), "=d"(xcr0_high) : "c"(0));
  (void)xcr0_high;
  // SSE and AVX state, saved by the OS.
  const uint32_t ymm_state = 1u << 1 | 1u << 2;
  return (xcr0 & ymm_state) == ymm_state;
}

#else

bool chacha20_avx2_supported(void) {
  return false;
}

size_t chacha20_avx2_xor(uint8_t *out, const uint8_t *in, size_t length, uint32_t state[16]) {
  (void)out;
  (void)in;
  (void)length;
  (void)state;
  return 0;
}

#endif
