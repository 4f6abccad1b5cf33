import { test } from 'node:test';
import assert from 'node:assert/strict';
import { offHeapBuffer } from '../../helper/src/crypto/off-heap.js';
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { blake2s } from '@noble/hashes/blake2.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import {
  HASH_LENGTH,
  MAC_LENGTH,
  blake2sImplementation,
  blake2sImplementations,
  hash,
  hashInto,
  hmac,
  hmacInto,
  keyedHash,
  keyedHashInto,
  mac,
  macInto,
  macMatches,
  type Blake2sImplementation,
} from '../../helper/src/crypto/blake2s.js';
import { kdf1, kdf2, kdf3, kdfInto } from '../../helper/src/crypto/kdf.js';
import { cryptoAddon } from '../../helper/src/crypto/crypto-addon.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
/** 0, 1, 2, ... as the reference test vectors build keys and messages. */
const counting = (length: number) => Uint8Array.from({ length }, (_, i) => i);
const EMPTY = new Uint8Array(0);
const opensslHash = (data: Uint8Array) => new Uint8Array(createHash('blake2s256').update(data).digest());
const opensslHmac = (key: Uint8Array, data: Uint8Array) =>
  new Uint8Array(createHmac('blake2s256', key).update(data).digest());
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** HKDF over @noble/hashes' HMAC-BLAKE2s: the whitepaper's KDF_n, independently. */
function referenceKdf(key: Uint8Array, input: Uint8Array, outputs: number): Uint8Array {
  const secret = nobleHmac(blake2s, key, input);
  const out: Uint8Array[] = [];
  let previous = EMPTY;
  for (let i = 1; i <= outputs; i++) {
    previous = nobleHmac(blake2s, secret, concat(previous, Uint8Array.of(i)));
    out.push(previous);
  }
  return concat(...out);
}

/** Lengths 0..300, with the block boundaries (63/64/65, 127/128/129) drawn often. */
const length = fc.oneof(fc.constantFrom(0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 129, 192, 255, 256, 300), fc.nat(300));
const bytes = length.chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

function digest(implementation: Blake2sImplementation, first: Uint8Array, second = EMPTY): Uint8Array {
  const out = new Uint8Array(HASH_LENGTH);
  implementation.hash(out, first, second);
  return out;
}

function keyed(
  implementation: Blake2sImplementation,
  key: Uint8Array,
  data: Uint8Array,
  outputLength: number,
): Uint8Array {
  const out = new Uint8Array(outputLength);
  implementation.keyedHash(out, key, data);
  return out;
}

function hmacOf(implementation: Blake2sImplementation, key: Uint8Array, first: Uint8Array, second = EMPTY): Uint8Array {
  const out = new Uint8Array(HASH_LENGTH);
  implementation.hmac(out, key, first, second);
  return out;
}

/** KDF_n's outputs concatenated, called with exactly n outputs as implementations expect. */
function kdfOf(implementation: Blake2sImplementation, key: Uint8Array, input: Uint8Array, outputs: number): Uint8Array {
  const t = Array.from({ length: outputs }, () => new Uint8Array(HASH_LENGTH));
  if (outputs === 1) implementation.kdf(key, input, t[0]!);
  else if (outputs === 2) implementation.kdf(key, input, t[0]!, t[1]!);
  else implementation.kdf(key, input, t[0]!, t[1]!, t[2]!);
  return concat(...t);
}

test('BLAKE2s runs natively here, the TypeScript implementation beside it', () => {
  assert.equal(blake2sImplementation, 'native');
  assert.deepEqual(
    blake2sImplementations.map((implementation) => implementation.name),
    ['native', 'typescript'],
  );
});

for (const implementation of blake2sImplementations) {
  const { name } = implementation;

  test(`RFC 7693 appendix B: BLAKE2s-256("abc"), ${name}`, () => {
    assert.equal(
      hex(digest(implementation, Buffer.from('abc'))),
      '508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982',
    );
  });

  test(`RFC 7693 appendix E self-test: every output length, keyed and unkeyed, ${name}`, () => {
    // The RFC's generator: a Fibonacci sequence seeded by the length, top bytes kept.
    const sequence = (length: number, seed: number) => {
      let a = Math.imul(0xdead4bad, seed) >>> 0;
      let b = 1;
      return Uint8Array.from({ length }, () => {
        const t = (a + b) >>> 0;
        a = b;
        b = t;
        return t >>> 24;
      });
    };
    const digests: Uint8Array[] = [];
    for (const outputLength of [16, 20, 28, 32]) {
      for (const inputLength of [0, 3, 64, 65, 255, 1024]) {
        const input = sequence(inputLength, inputLength);
        digests.push(keyed(implementation, EMPTY, input, outputLength));
        digests.push(keyed(implementation, sequence(outputLength, outputLength), input, outputLength));
      }
    }
    assert.equal(
      hex(digest(implementation, concat(...digests))),
      '6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe',
    );
  });

  test(`BLAKE2 reference keyed test vectors (blake2s-kat.txt, key 00..1f), ${name}`, () => {
    const key = counting(32);
    const vectors: [number, string][] = [
      [0, '48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49'],
      [1, '40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1'],
      [2, '6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803'],
      [63, 'c65382513f07460da39833cb666c5ed82e61b9e998f4b0c4287cee56c3cc9bcd'],
      [64, '8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4'],
      [65, '21fe0ceb0052be7fb0f004187cacd7de67fa6eb0938d927677f2398c132317a8'],
      [128, '0c311f38c35a4fb90d651c289d486856cd1413df9b0677f53ece2cd9e477c60a'],
      [255, '3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd'],
    ];
    for (const [length, expected] of vectors) {
      assert.equal(hex(keyed(implementation, key, counting(length), HASH_LENGTH)), expected, `input length ${length}`);
    }
  });

  test(`WireGuard's initial chaining key and hash (protocol constants), ${name}`, () => {
    const chainingKey = digest(implementation, Buffer.from('Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s'));
    assert.equal(hex(chainingKey), '60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36');
    const h = digest(implementation, chainingKey, Buffer.from('WireGuard v1 zx2c4 Jason@zx2c4.com'));
    assert.equal(hex(h), '2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3');
  });

  test(`hash and HMAC agree with OpenSSL for every input length 0..300, ${name}`, () => {
    const key = counting(32);
    for (let length = 0; length <= 300; length++) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 7 + length) & 0xff);
      assert.deepEqual(digest(implementation, data), opensslHash(data), `hash of ${length} bytes`);
      assert.deepEqual(hmacOf(implementation, key, data), opensslHmac(key, data), `HMAC of ${length} bytes`);
    }
  });

  test(`hash of two parts is the hash of their concatenation (@noble/hashes reference), ${name}`, () => {
    fc.assert(
      fc.property(bytes, bytes, (first, second) => {
        assert.deepEqual(digest(implementation, first, second), blake2s(concat(first, second)));
      }),
      { numRuns: 200 },
    );
  });

  test(`keyed hash agrees with @noble/hashes for every key and output length, ${name}`, () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 32 }),
        bytes,
        fc.integer({ min: 1, max: 32 }),
        (key, data, outputLength) => {
          // noble spells "no key" as undefined; RFC 7693 as a key of length 0.
          const nobleKey = key.length > 0 ? key : undefined;
          assert.deepEqual(
            keyed(implementation, key, data, outputLength),
            blake2s(data, { key: nobleKey, dkLen: outputLength }),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  test(`HMAC of two parts agrees with @noble/hashes, keys of 0..300 bytes (longer than a block too), ${name}`, () => {
    fc.assert(
      fc.property(bytes, bytes, bytes, (key, first, second) => {
        assert.deepEqual(hmacOf(implementation, key, first, second), nobleHmac(blake2s, key, concat(first, second)));
      }),
      { numRuns: 200 },
    );
  });

  test(`KDF_1..3 are the HKDF expansion (@noble/hashes reference), ${name}`, () => {
    fc.assert(
      fc.property(bytes, bytes, fc.integer({ min: 1, max: 3 }), (key, input, outputs) => {
        assert.deepEqual(kdfOf(implementation, key, input, outputs), referenceKdf(key, input, outputs));
      }),
      { numRuns: 200 },
    );
  });

  test(`HMAC and KDF may write over their own key or input, ${name}`, () => {
    fc.assert(
      fc.property(key32, fc.uint8Array({ minLength: 32, maxLength: 100 }), (key, data) => {
        const expected = nobleHmac(blake2s, key, data);
        const overKey = Uint8Array.from(key);
        implementation.hmac(overKey, overKey, data, EMPTY);
        assert.deepEqual(overKey, expected);
        const overMessage = Uint8Array.from(data);
        implementation.hmac(overMessage.subarray(0, 32), key, overMessage, EMPTY);
        assert.deepEqual(overMessage.subarray(0, 32), expected);

        const expectedKdf = referenceKdf(key, data, 2);
        const overKdfKey = Uint8Array.from(key);
        const t2 = new Uint8Array(32);
        implementation.kdf(overKdfKey, data, overKdfKey, t2);
        assert.deepEqual(concat(overKdfKey, t2), expectedKdf);
        const overKdfInput = Uint8Array.from(data);
        implementation.kdf(key, overKdfInput, t2, overKdfInput.subarray(0, 32));
        assert.deepEqual(concat(t2, overKdfInput.subarray(0, 32)), expectedKdf);
      }),
      { numRuns: 100 },
    );
  });
}

test('the native and the TypeScript implementation agree on HMAC and KDF of random lengths', () => {
  const [native, typescript] = blake2sImplementations;
  assert.ok(native && typescript && native !== typescript);
  fc.assert(
    fc.property(bytes, bytes, bytes, fc.integer({ min: 1, max: 3 }), (key, first, second, outputs) => {
      assert.deepEqual(hmacOf(native, key, first, second), hmacOf(typescript, key, first, second));
      assert.deepEqual(kdfOf(native, key, first, outputs), kdfOf(typescript, key, first, outputs));
      assert.deepEqual(digest(native, first, second), digest(typescript, first, second));
    }),
    { numRuns: 300 },
  );
});

test('a TypeScript computation leaves nothing behind that changes the next one', () => {
  const typescript = blake2sImplementations.find((implementation) => implementation.name === 'typescript')!;
  const data = counting(100);
  const expected = hex(digest(typescript, data));
  keyed(typescript, counting(32), counting(200), 16);
  hmacOf(typescript, counting(80), counting(3));
  kdfOf(typescript, counting(32), counting(70), 3);
  keyed(typescript, counting(5), counting(64), 7);
  assert.equal(hex(digest(typescript, data)), expected);
});

test("public functions: results in fresh buffers, the Into forms write the caller's buffer", () => {
  const key = counting(32);
  const data = counting(70);
  const h = hash(data);
  assert.deepEqual(new Uint8Array(h), opensslHash(data));
  assert.deepEqual(new Uint8Array(hash(data.subarray(0, 10), data.subarray(10))), opensslHash(data));
  const out = new Uint8Array(32);
  hashInto(out, data);
  assert.deepEqual(out, opensslHash(data));
  assert.deepEqual(new Uint8Array(hmac(key, data)), opensslHmac(key, data));
  hmacInto(out, key, data.subarray(0, 5), data.subarray(5));
  assert.deepEqual(out, opensslHmac(key, data));
  assert.deepEqual(mac(key, data), blake2s(data, { key, dkLen: MAC_LENGTH }));
  const mac7 = new Uint8Array(7);
  keyedHashInto(mac7, key, data);
  assert.deepEqual(mac7, blake2s(data, { key, dkLen: 7 }));
});

test('macMatches accepts the MAC and refuses every one-bit change of it, natively and in TypeScript; macInto writes it', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 32 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.nat(127),
      (key, data, bit) => {
        const expected = blake2s(data, { key, dkLen: MAC_LENGTH });
        const wrong = Uint8Array.from(expected);
        wrong[bit >> 3]! ^= 1 << (bit & 7);
        for (const implementation of blake2sImplementations) {
          assert.equal(implementation.keyedVerify(key, data, expected), true, implementation.name);
          assert.equal(implementation.keyedVerify(key, data, wrong), false, implementation.name);
        }
        assert.equal(macMatches(key, data, expected), true);
        const out = new Uint8Array(MAC_LENGTH);
        macInto(out, key, data);
        assert.deepEqual(out, expected);
      },
    ),
    { numRuns: 300 },
  );
  assert.throws(() => macMatches(new Uint8Array(32), new Uint8Array(1), new Uint8Array(15)), RangeError);
});

test('KDF outputs are separate Buffers, and kdfInto writes all it is given', () => {
  fc.assert(
    fc.property(key32, bytes, (key, input) => {
      const expected = referenceKdf(key, input, 3);
      assert.deepEqual(new Uint8Array(kdf1(key, input)), expected.subarray(0, 32));
      const [a1, a2] = kdf2(key, input);
      assert.deepEqual(new Uint8Array(Buffer.concat([a1, a2])), expected.subarray(0, 64));
      const [b1, b2, b3] = kdf3(key, input);
      b1.fill(0);
      b2.fill(0);
      assert.deepEqual(new Uint8Array(b3), expected.subarray(64));
      assert.deepEqual(new Uint8Array(a2), expected.subarray(32, 64));
      const t = [new Uint8Array(32), new Uint8Array(32), new Uint8Array(32)] as const;
      kdfInto(key, input, ...t);
      assert.deepEqual(concat(...t), expected);
      kdfInto(key, input, t[0], t[1]);
      assert.deepEqual(concat(t[0], t[1]), expected.subarray(0, 64));
      kdfInto(key, input, t[2]);
      assert.deepEqual(t[2], expected.subarray(0, 32));
    }),
    { numRuns: 100 },
  );
});

test('digests, MACs, KDF outputs and other off-heap buffers never share bytes: wiping one leaves the others', () => {
  const results: Uint8Array[] = [];
  // Up to 255 results, each marked with its own byte value below; slabs hold 1 KB, so several are crossed.
  for (let i = 0; i < 36; i++) {
    const data = Uint8Array.of(i);
    results.push(
      hash(data),
      hmac(data, data),
      mac(counting(16), data),
      keyedHash(EMPTY, data, 1 + (i % 32)),
      ...kdf3(data, data),
    );
  }
  const fresh = offHeapBuffer(7);
  assert.ok(
    fresh.every((byte) => byte === 0),
    'a fresh off-heap buffer is zeroed',
  );
  results.push(fresh);
  results.forEach((result, i) => result.fill(i + 1));
  results.forEach((result, i) =>
    assert.ok(
      result.every((byte) => byte === i + 1),
      `result ${i} was overwritten`,
    ),
  );
});

test('public functions refuse out-of-range keys and output lengths', () => {
  assert.throws(() => mac(new Uint8Array(33), new Uint8Array(1)), RangeError);
  assert.throws(() => keyedHash(EMPTY, new Uint8Array(1), 0), RangeError);
  assert.throws(() => keyedHash(EMPTY, new Uint8Array(1), 33), RangeError);
  assert.throws(() => keyedHash(EMPTY, new Uint8Array(1), 1.5), RangeError);
  assert.throws(() => keyedHashInto(EMPTY, EMPTY, EMPTY), RangeError);
  assert.throws(() => hashInto(new Uint8Array(31), EMPTY), RangeError);
  assert.throws(() => hmacInto(new Uint8Array(33), EMPTY, EMPTY), RangeError);
  for (const length of [0, 31, 33, 96]) {
    assert.throws(() => kdfInto(EMPTY, EMPTY, new Uint8Array(length)), RangeError);
    assert.throws(
      () => kdfInto(EMPTY, EMPTY, new Uint8Array(32), new Uint8Array(32), new Uint8Array(length)),
      RangeError,
    );
  }
});

test('the addon itself refuses wrong argument types and lengths rather than touching memory', () => {
  const addon = cryptoAddon as Record<string, (...args: unknown[]) => void>;
  const out = new Uint8Array(32);
  assert.throws(() => addon.blake2sHash!(out, EMPTY), TypeError);
  assert.throws(() => addon.blake2sHash!(out, 'abc', EMPTY), TypeError);
  assert.throws(() => addon.blake2sHash!(new Uint16Array(16), EMPTY, EMPTY), TypeError);
  assert.throws(() => addon.blake2sHash!(new Uint8Array(16), EMPTY, EMPTY), RangeError);
  assert.throws(() => addon.blake2sHmac!(new Uint8Array(64), EMPTY, EMPTY, EMPTY), RangeError);
  assert.throws(() => addon.blake2sKeyed!(EMPTY, EMPTY, EMPTY), RangeError);
  assert.throws(() => addon.blake2sKeyed!(out, new Uint8Array(33), EMPTY), RangeError);
  assert.throws(() => addon.blake2sKdf!(EMPTY, EMPTY), TypeError);
  assert.throws(() => addon.blake2sKdf!(EMPTY, EMPTY, out, out, out, out), TypeError);
  assert.throws(() => addon.blake2sKdf!(EMPTY, EMPTY, out, undefined), TypeError);
  assert.throws(() => addon.blake2sKdf!(EMPTY, EMPTY, new Uint8Array(96)), RangeError);
  assert.throws(() => addon.blake2sKdf!(EMPTY, EMPTY, out, new Uint8Array(33)), RangeError);
});
