// X25519 (RFC 7748 section 5) by the Montgomery ladder on field25519.h, one
// field operation at a time: the last resort for shared secrets, where the CPU
// has no AVX-512 IFMA (x25519_ifma.c) and the host no OpenSSL curve primitive
// (Electron on most machines). Written from the RFC's pseudocode.
//
// Constant time: the scalar's bits only select conditional swaps by mask; the
// loop, the field arithmetic and the inversion do the same work for every key.
#include "x25519_ladder.h"

#include "field25519.h"
#include "wipe.h"
#include "x25519_clamp.h"

enum { A24 = 121665 };  // (486662 - 2) / 4

// The ladder's two points, (x2 : z2) and (x3 : z3), and the step's intermediate values, to be wiped together.
typedef struct {
  fe x2, z2, x3, z3;
  fe a, aa, b, bb, e, c, d, da, cb;
  fe f;  // AA + a24 E
} ladder;

// One differential addition and doubling, in the RFC's names; x1 is the input u-coordinate.
static void ladder_step(ladder *l, const fe x1) {
  fe_add(l->a, l->x2, l->z2);
  fe_sq(l->aa, l->a);
  fe_sub(l->b, l->x2, l->z2);
  fe_sq(l->bb, l->b);
  fe_sub(l->e, l->aa, l->bb);
  fe_add(l->c, l->x3, l->z3);
  fe_sub(l->d, l->x3, l->z3);
  fe_mul(l->da, l->d, l->a);
  fe_mul(l->cb, l->c, l->b);
  fe_add(l->x3, l->da, l->cb);
  fe_sq(l->x3, l->x3);
  fe_sub(l->z3, l->da, l->cb);
  fe_sq(l->z3, l->z3);
  fe_mul(l->z3, l->z3, x1);
  fe_mul_small(l->f, l->e, A24);
  fe_add(l->f, l->f, l->aa);
  fe_mul(l->z2, l->e, l->f);
  fe_mul(l->x2, l->aa, l->bb);
}

void x25519_ladder(uint8_t out[32], const uint8_t private_key[32], const uint8_t public_key[32]) {
  uint8_t scalar[32];
  fe x1;
  ladder l;
  uint64_t swap = 0;
  x25519_clamp(scalar, private_key);
  fe_frombytes(x1, public_key);
  fe_set_small(l.x2, 1);
  fe_set_small(l.z2, 0);
  fe_copy(l.x3, x1);
  fe_set_small(l.z3, 1);
  for (int t = 254; t >= 0; t--) {
    const uint64_t bit = (scalar[t >> 3] >> (t & 7)) & 1;
    swap ^= bit;
    fe_cswap(l.x2, l.x3, swap);
    fe_cswap(l.z2, l.z3, swap);
    swap = bit;
    ladder_step(&l, x1);
  }
  fe_cswap(l.x2, l.x3, swap);
  fe_cswap(l.z2, l.z3, swap);
  // z2 = 0 (a low-order point) inverts to 0, giving the all-zero result RFC 7748 specifies.
  fe_invert(l.z2, l.z2);
  fe_mul(l.x2, l.x2, l.z2);
  fe_tobytes(out, l.x2);
  wipe(scalar, sizeof(scalar));
  wipe(&l, sizeof(l));
}
