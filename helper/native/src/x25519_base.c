// X25519 public keys, X25519(k, 9), computed on the twisted Edwards form of the
// curve with a table of multiples of the base point, then mapped back to the
// Montgomery u-coordinate. A responder makes one ephemeral key per handshake;
// this way costs about half of the Montgomery ladder OpenSSL uses for it.
//
// Curve: -x^2 + y^2 = 1 + d x^2 y^2, birationally equivalent to Curve25519 with
// u = (1 + y) / (1 - y). Points in extended coordinates (X:Y:Z:T), x = X/Z,
// y = Y/Z, xy = T/Z; the formulas are Hisil–Wong–Carter–Dawson's (2008) for
// a = -1, complete on this curve since d is not a square.
//
// The table is computed at first use from the curve's definition rather than
// stored: entry [i][j] is (j + 1) * 256^i * B in affine "cached" form
// (y + x, y - x, 2dxy). The scalar is recoded into 64 signed radix-16 digits in
// [-8, 8]; every lookup reads all 8 entries of a row and negates by mask, so
// time and memory accesses do not depend on the key.
#include "x25519_base.h"

#include <pthread.h>
#include <string.h>

#include "field25519.h"
#include "wipe.h"
#include "x25519_clamp.h"

typedef struct {
  fe X, Y, Z, T;
} point;

typedef struct {
  fe y_plus_x, y_minus_x, xy2d;
} cached;

enum { TABLE_ROWS = 32, TABLE_ENTRIES = 8, SCALAR_DIGITS = 64 };

static cached table[TABLE_ROWS][TABLE_ENTRIES];
static fe curve_d2;  // 2d
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void fe_divide_small(fe h, uint64_t numerator, uint64_t denominator) {
  fe n, inverse;
  fe_set_small(n, numerator);
  fe_set_small(inverse, denominator);
  fe_invert(inverse, inverse);
  fe_mul(h, n, inverse);
}

// A square root of a (p = 5 mod 8): r = a^((p+3)/8), times sqrt(-1) if r^2 = -a.
static void fe_sqrt(fe r, const fe a) {
  fe t, unused, check, minus_a, sqrt_minus_one, two;
  fe_pow_2_250_minus_1(t, unused, a);
  fe_sq_times(t, t, 2);
  fe_sq(check, a);
  fe_mul(r, t, check);  // a^(2^252 - 2)
  // sqrt(-1) = 2^((p-1)/4) = 2^(2^253 - 5)
  fe_set_small(two, 2);
  fe_pow_2_250_minus_1(t, unused, two);
  fe_sq_times(t, t, 3);
  fe_set_small(check, 8);
  fe_mul(sqrt_minus_one, t, check);
  fe_sq(check, r);
  fe_neg(minus_a, a);
  fe_mul(t, r, sqrt_minus_one);
  fe_cmov(r, t, (uint64_t)fe_equal(check, minus_a));
}

// B: the point with y = 4/5 (u = 9), and x recovered from the curve equation.
static void base_point(point *b) {
  fe d, y2, numerator, denominator, x2, one;
  fe_set_small(one, 1);
  fe_divide_small(d, 121665, 121666);
  fe_neg(d, d);
  fe_add(curve_d2, d, d);
  fe_carry(curve_d2);
  fe_divide_small(b->Y, 4, 5);
  fe_sq(y2, b->Y);
  fe_sub(numerator, y2, one);
  fe_mul(denominator, d, y2);
  fe_add(denominator, denominator, one);
  fe_invert(denominator, denominator);
  fe_mul(x2, numerator, denominator);
  // Either root will do: -B has the same y, hence the same u, as B.
  fe_sqrt(b->X, x2);
  fe_set_small(b->Z, 1);
  fe_mul(b->T, b->X, b->Y);
}

static void point_double(point *r, const point *p) {
  fe a, b, c, e, f, g, h;
  fe_sq(a, p->X);
  fe_sq(b, p->Y);
  fe_sq(c, p->Z);
  fe_add(c, c, c);
  fe_add(e, p->X, p->Y);
  fe_sq(e, e);
  fe_sub(e, e, a);
  fe_sub(e, e, b);
  fe_sub(g, b, a);  // -A + B
  fe_sub(f, g, c);
  fe_neg(h, a);
  fe_sub(h, h, b);  // -A - B
  fe_mul(r->X, e, f);
  fe_mul(r->Y, g, h);
  fe_mul(r->T, e, h);
  fe_mul(r->Z, f, g);
}

// The common end of both additions: from A = (Y1-X1)(y2-x2), B = (Y1+X1)(y2+x2),
// C = T1 * 2d * t2 and D = 2 Z1 z2.
static void finish_add(point *r, const fe a, const fe b, const fe c, const fe d) {
  fe e, f, g, h;
  fe_sub(e, b, a);
  fe_sub(f, d, c);
  fe_add(g, d, c);
  fe_add(h, b, a);
  fe_mul(r->X, e, f);
  fe_mul(r->Y, g, h);
  fe_mul(r->T, e, h);
  fe_mul(r->Z, f, g);
}

// r = p + q, both in extended coordinates (used only to build the table).
static void point_add(point *r, const point *p, const point *q) {
  fe a, b, c, d, t;
  fe_sub(a, p->Y, p->X);
  fe_sub(t, q->Y, q->X);
  fe_mul(a, a, t);
  fe_add(b, p->Y, p->X);
  fe_add(t, q->Y, q->X);
  fe_mul(b, b, t);
  fe_mul(c, p->T, q->T);
  fe_mul(c, c, curve_d2);
  fe_mul(d, p->Z, q->Z);
  fe_add(d, d, d);
  finish_add(r, a, b, c, d);
}

// r = p + q with q affine and cached: 7 multiplications.
static void point_add_cached(point *r, const point *p, const cached *q) {
  fe a, b, c, d;
  fe_sub(a, p->Y, p->X);
  fe_mul(a, a, q->y_minus_x);
  fe_add(b, p->Y, p->X);
  fe_mul(b, b, q->y_plus_x);
  fe_mul(c, p->T, q->xy2d);
  fe_add(d, p->Z, p->Z);
  finish_add(r, a, b, c, d);
}

static void to_cached(cached *r, const point *p) {
  fe z_inverse, x, y;
  fe_invert(z_inverse, p->Z);
  fe_mul(x, p->X, z_inverse);
  fe_mul(y, p->Y, z_inverse);
  fe_add(r->y_plus_x, y, x);
  fe_carry(r->y_plus_x);
  fe_sub(r->y_minus_x, y, x);
  fe_mul(r->xy2d, x, y);
  fe_mul(r->xy2d, r->xy2d, curve_d2);
}

static void build_table(void) {
  point row_base, multiple;
  base_point(&row_base);
  for (int i = 0; i < TABLE_ROWS; i++) {
    multiple = row_base;
    to_cached(&table[i][0], &multiple);
    for (int j = 1; j < TABLE_ENTRIES; j++) {
      point_add(&multiple, &multiple, &row_base);
      to_cached(&table[i][j], &multiple);
    }
    for (int k = 0; k < 8; k++) point_double(&row_base, &row_base);
  }
}

static void cached_identity(cached *r) {
  fe_set_small(r->y_plus_x, 1);
  fe_set_small(r->y_minus_x, 1);
  fe_set_small(r->xy2d, 0);
}

// r = digit * 256^row * B for digit in [-8, 8], reading every entry of the row.
static void select_cached(cached *r, int row, int8_t digit) {
  const uint64_t negative = (uint64_t)(uint8_t)digit >> 7;
  const uint64_t magnitude = (uint64_t)(int64_t)digit;
  const uint64_t absolute = magnitude ^ ((0 - negative) & (magnitude ^ (0 - magnitude)));
  cached_identity(r);
  for (uint64_t j = 0; j < TABLE_ENTRIES; j++) {
    const uint64_t equal = ((absolute ^ (j + 1)) - 1) >> 63;
    fe_cmov(r->y_plus_x, table[row][j].y_plus_x, equal);
    fe_cmov(r->y_minus_x, table[row][j].y_minus_x, equal);
    fe_cmov(r->xy2d, table[row][j].xy2d, equal);
  }
  // -(x, y) = (-x, y): swap y + x with y - x and negate 2dxy.
  cached negated;
  fe_copy(negated.y_plus_x, r->y_minus_x);
  fe_copy(negated.y_minus_x, r->y_plus_x);
  fe_neg(negated.xy2d, r->xy2d);
  fe_cmov(r->y_plus_x, negated.y_plus_x, negative);
  fe_cmov(r->y_minus_x, negated.y_minus_x, negative);
  fe_cmov(r->xy2d, negated.xy2d, negative);
}

// The clamped scalar (below 2^255) as sum of digits[i] * 16^i, digits in [-8, 8].
static void recode_scalar(int8_t digits[SCALAR_DIGITS], const uint8_t scalar[32]) {
  for (int i = 0; i < 32; i++) {
    digits[2 * i] = (int8_t)(scalar[i] & 15);
    digits[2 * i + 1] = (int8_t)(scalar[i] >> 4);
  }
  int8_t carry = 0;
  for (int i = 0; i < SCALAR_DIGITS - 1; i++) {
    digits[i] = (int8_t)(digits[i] + carry);
    carry = (int8_t)((digits[i] + 8) >> 4);
    digits[i] = (int8_t)(digits[i] - carry * 16);
  }
  digits[SCALAR_DIGITS - 1] = (int8_t)(digits[SCALAR_DIGITS - 1] + carry);
}

void x25519_public_key(uint8_t out[32], const uint8_t private_key[32]) {
  pthread_once(&table_once, build_table);
  uint8_t scalar[32];
  int8_t digits[SCALAR_DIGITS];
  point h;
  cached entry;
  fe u, numerator, denominator;

  x25519_clamp(scalar, private_key);
  recode_scalar(digits, scalar);

  // Odd digits first, then times 16, then the even ones: each row serves two digits.
  fe_set_small(h.X, 0);
  fe_set_small(h.Y, 1);
  fe_set_small(h.Z, 1);
  fe_set_small(h.T, 0);
  for (int i = 1; i < SCALAR_DIGITS; i += 2) {
    select_cached(&entry, i / 2, digits[i]);
    point_add_cached(&h, &h, &entry);
  }
  for (int k = 0; k < 4; k++) point_double(&h, &h);
  for (int i = 0; i < SCALAR_DIGITS; i += 2) {
    select_cached(&entry, i / 2, digits[i]);
    point_add_cached(&h, &h, &entry);
  }

  // u = (1 + y) / (1 - y) = (Z + Y) / (Z - Y)
  fe_add(numerator, h.Z, h.Y);
  fe_sub(denominator, h.Z, h.Y);
  fe_invert(denominator, denominator);
  fe_mul(u, numerator, denominator);
  fe_tobytes(out, u);

  wipe(scalar, sizeof(scalar));
  wipe(digits, sizeof(digits));
  wipe(&h, sizeof(h));
  wipe(&entry, sizeof(entry));
  wipe(numerator, sizeof(numerator));
  wipe(denominator, sizeof(denominator));
  wipe(u, sizeof(u));
}
