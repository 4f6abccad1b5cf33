import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { cryptoAddon } from '../../helper/src/crypto/crypto-addon.js';
import type { NativeSharedSecret, NativeSharedSecretPair } from '../../helper/src/crypto/x25519.js';
import { DIFFIE_HELLMAN, ITERATED, iterate, SCALAR_MULT_VECTORS } from './support/rfc7748.js';
import { hasIfma } from './support/cpu.js';

// The AVX-512 IFMA ladder called directly through the addon, where the CPU has
// IFMA (as /proc/cpuinfo says, independently of the addon's own detection);
// where it lacks it, that the addon neither chooses the ladder nor runs it.

interface IfmaAddon {
  x25519Ifma: NativeSharedSecret;
  x25519IfmaPair: NativeSharedSecretPair;
  /** OpenSSL's own X25519 behind its EVP layer: the independent reference. */
  x25519: NativeSharedSecret;
  x25519PrimitiveBackend: string;
}

const addon = cryptoAddon as unknown as IfmaAddon;

const hex = (text: string) => Buffer.from(text, 'hex');

/** X25519(k, u) on the IFMA ladder; undefined for the all-zero result of a low-order point. */
function ifma(k: Uint8Array, u: Uint8Array): Buffer | undefined {
  const out = Buffer.alloc(32, 0xaa);
  const ok = addon.x25519Ifma(k, u, out);
  assert.equal(ok, !out.equals(Buffer.alloc(32)), 'false exactly for a zero result');
  return ok ? out : undefined;
}

function openssl(k: Uint8Array, u: Uint8Array): Buffer | undefined {
  const out = Buffer.alloc(32);
  return addon.x25519(k, u, out) ? out : undefined;
}

function noble(k: Uint8Array, u: Uint8Array): Buffer | undefined {
  try {
    return Buffer.from(x25519.scalarMult(k, u));
  } catch {
    // @noble/curves refuses to return the zero result.
    return undefined;
  }
}

const P_MINUS_1 = 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f';

/** u-coordinates of order 1, 2, 4 and 8, and the same values plus p (not reduced, as RFC 7748 allows). */
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  P_MINUS_1,
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

if (!hasIfma) {
  test('this CPU lacks AVX-512 IFMA: X25519 does not run on the IFMA ladder, and calling the ladder is refused', () => {
    assert.notEqual(addon.x25519PrimitiveBackend, 'avx512ifma');
    assert.throws(() => addon.x25519Ifma(new Uint8Array(32), new Uint8Array(32), Buffer.alloc(32)), {
      code: 'ERR_X25519_IFMA_UNSUPPORTED',
    });
    const zero = () => new Uint8Array(32);
    assert.throws(() => addon.x25519IfmaPair(zero(), zero(), zero(), zero(), zero(), zero()), {
      code: 'ERR_X25519_IFMA_UNSUPPORTED',
    });
  });
} else {
  test("this CPU runs the IFMA ladder, and x25519Primitive (the engine's X25519) runs on it", () => {
    assert.doesNotThrow(() => ifma(new Uint8Array(32), new Uint8Array(32).fill(9, 0, 1)));
    assert.equal(addon.x25519PrimitiveBackend, 'avx512ifma');
  });

  test("IFMA ladder: RFC 7748 section 5.2 vectors, the second with the u-coordinate's top bit set", () => {
    for (const { scalar, u, result } of SCALAR_MULT_VECTORS)
      assert.equal(ifma(hex(scalar), hex(u))?.toString('hex'), result);
  });

  test('IFMA ladder: RFC 7748 section 5.2, iterated 1 and 1,000 times', () => {
    const seen = iterate(ifma, 1000);
    assert.equal(seen.get(1), ITERATED.once);
    assert.equal(seen.get(1000), ITERATED.thousand);
  });

  test('IFMA ladder: RFC 7748 section 6.1 Diffie-Hellman', () => {
    const { alicePrivate, alicePublic, bobPrivate, bobPublic, shared } = DIFFIE_HELLMAN;
    const base = hex('09'.padEnd(64, '0'));
    assert.equal(ifma(hex(alicePrivate), base)?.toString('hex'), alicePublic);
    assert.equal(ifma(hex(bobPrivate), base)?.toString('hex'), bobPublic);
    assert.equal(ifma(hex(alicePrivate), hex(bobPublic))?.toString('hex'), shared);
    assert.equal(ifma(hex(bobPrivate), hex(alicePublic))?.toString('hex'), shared);
  });

  test('IFMA ladder: low-order points, also unreduced and with the top bit set, give the zero result', () => {
    for (const point of LOW_ORDER) {
      for (const topBit of [0, 0x80]) {
        const u = hex(point);
        u[31]! |= topBit;
        for (let i = 0; i < 4; i++) assert.equal(ifma(randomBytes(32), u), undefined, u.toString('hex'));
      }
    }
  });

  /** A u-coordinate of one of several kinds that stress decoding, reduction and carries. */
  function testPoint(i: number): Buffer {
    const u = randomBytes(32);
    switch (i % 8) {
      case 0: // a low-order point, maybe unreduced
        hex(LOW_ORDER[(i >> 3) % LOW_ORDER.length]!).copy(u);
        break;
      case 1: // at or just below p and 2^255 - 1: the values that decode unreduced
        u.fill(0xff);
        u[0] = 0xe0 + (u[0]! & 0x1f);
        break;
      case 2: // bytes of all ones or zeros: long carries across limbs
        for (let j = 0; j < 32; j++) u[j] = u[j]! & 1 ? 0xff : 0;
        break;
      case 3: // small values
        u.fill(0, 1);
        break;
      default:
        break;
    }
    u[31] = (u[31]! & 0x7f) | ((i >> 1) & 1 ? 0x80 : 0); // the ignored top bit, half of the time set
    return u;
  }

  function testScalar(i: number): Buffer {
    const k = randomBytes(32);
    if (i % 16 === 5) k.fill(0xff);
    if (i % 16 === 6) k.fill(0);
    return k;
  }

  test('IFMA ladder agrees with OpenSSL for 20,000 (scalar, u) pairs, unreduced, low-order and top-bit u included', () => {
    for (let i = 0; i < 20_000; i++) {
      const k = testScalar(i);
      const u = testPoint(i);
      assert.deepEqual(ifma(k, u), openssl(k, u), `k=${k.toString('hex')} u=${u.toString('hex')}`);
    }
  });

  test('IFMA ladder agrees with @noble/curves for 200 (scalar, u) pairs of the same kinds', () => {
    for (let i = 0; i < 200; i++) {
      const k = testScalar(i);
      const u = testPoint(i);
      assert.deepEqual(ifma(k, u), noble(k, u), `k=${k.toString('hex')} u=${u.toString('hex')}`);
    }
  });

  /** Both shared secrets from one call of the pair; undefined for a zero result. */
  function ifmaPair(
    kA: Uint8Array,
    uA: Uint8Array,
    kB: Uint8Array,
    uB: Uint8Array,
  ): [Buffer | undefined, Buffer | undefined] {
    const outA = Buffer.alloc(32, 0xaa);
    const outB = Buffer.alloc(32, 0xbb);
    const ok = addon.x25519IfmaPair(kA, uA, outA, kB, uB, outB);
    const [a, b] = [outA, outB].map((out) => (out.equals(Buffer.alloc(32)) ? undefined : out));
    assert.equal(ok, a !== undefined && b !== undefined, 'true exactly when neither result is zero');
    return [a, b];
  }

  test('IFMA pair: both RFC 7748 section 5.2 vectors in one call, in either order', () => {
    const [first, second] = SCALAR_MULT_VECTORS;
    const [k1, u1, k2, u2] = [first.scalar, first.u, second.scalar, second.u].map(hex) as [
      Buffer,
      Buffer,
      Buffer,
      Buffer,
    ];
    assert.deepEqual(
      ifmaPair(k1, u1, k2, u2).map((out) => out?.toString('hex')),
      [first.result, second.result],
    );
    assert.deepEqual(
      ifmaPair(k2, u2, k1, u1).map((out) => out?.toString('hex')),
      [second.result, first.result],
    );
  });

  test('IFMA pair agrees with OpenSSL for 6,000 pairs: one key with two points (ee and se), two keys, a low-order point on either side', () => {
    for (let i = 0; i < 6_000; i++) {
      const kA = testScalar(i);
      const kB = i % 3 === 0 ? kA : testScalar(i + 7);
      const uA = testPoint(i);
      const uB = testPoint(i + 3);
      const context = `kA=${kA.toString('hex')} uA=${uA.toString('hex')} kB=${kB.toString('hex')} uB=${uB.toString('hex')}`;
      assert.deepEqual(ifmaPair(kA, uA, kB, uB), [openssl(kA, uA), openssl(kB, uB)], context);
    }
  });

  test('x25519Ifma and x25519IfmaPair refuse keys that are not 32-byte Uint8Arrays', () => {
    const key = new Uint8Array(32);
    assert.throws(() => addon.x25519Ifma(new Uint8Array(31), key, key), TypeError);
    assert.throws(() => addon.x25519Ifma(key, key, new Uint8Array(33)), TypeError);
    assert.throws(() => addon.x25519IfmaPair(key, key, key, key, new Uint8Array(31), key), TypeError);
    const loosePair = addon.x25519IfmaPair as (...keys: Uint8Array[]) => boolean;
    assert.throws(() => loosePair(key, key, key, key, key), TypeError);
  });
}
