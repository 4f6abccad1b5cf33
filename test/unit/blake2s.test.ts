import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { blake2s } from '@noble/hashes/blake2.js';
import { HASH_LENGTH, MAC_LENGTH, hash, hmac, hmacInto, keyedHash, mac } from '../../helper/src/crypto/blake2s.js';
import { kdf1, kdf2, kdf3 } from '../../helper/src/crypto/kdf.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
/** 0, 1, 2, ... as the reference test vectors build keys and messages. */
const counting = (length: number) => Uint8Array.from({ length }, (_, i) => i);
const opensslHash = (data: Uint8Array) => new Uint8Array(createHash('blake2s256').update(data).digest());
const opensslHmac = (key: Uint8Array, data: Uint8Array) => new Uint8Array(createHmac('blake2s256', key).update(data).digest());

/** Cuts `data` at the given (unsorted, possibly repeated) offsets, keeping empty pieces. */
function split(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const offsets = cuts.map((cut) => cut % (data.length + 1)).sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const offset of offsets) {
    parts.push(data.subarray(start, offset));
    start = offset;
  }
  parts.push(data.subarray(start));
  return parts;
}

const message = fc.uint8Array({ maxLength: 300 });
const cuts = fc.array(fc.nat(), { maxLength: 5 });

test('RFC 7693 appendix B: BLAKE2s-256("abc")', () => {
  assert.equal(hex(hash(Buffer.from('abc'))), '508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982');
});

test('RFC 7693 appendix E self-test: every output length, keyed and unkeyed', () => {
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
      digests.push(keyedHash(new Uint8Array(0), input, outputLength));
      digests.push(keyedHash(sequence(outputLength, outputLength), input, outputLength));
    }
  }
  assert.equal(hex(hash(...digests)), '6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe');
});

test('BLAKE2 reference keyed test vectors (blake2s-kat.txt, key 00..1f)', () => {
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
  for (const [length, expected] of vectors) assert.equal(hex(keyedHash(key, counting(length), HASH_LENGTH)), expected, `input length ${length}`);
});

test('hash and HMAC agree with OpenSSL for every input length 0..300', () => {
  const key = counting(32);
  for (let length = 0; length <= 300; length++) {
    const data = Uint8Array.from({ length }, (_, i) => (i * 7 + length) & 0xff);
    assert.deepEqual(new Uint8Array(hash(data)), opensslHash(data), `hash of ${length} bytes`);
    assert.deepEqual(new Uint8Array(hmac(key, data)), opensslHmac(key, data), `HMAC of ${length} bytes`);
  }
});

test('keyed MAC agrees with @noble/hashes for every input length 0..300', () => {
  const key = counting(MAC_LENGTH);
  for (let length = 0; length <= 300; length++) {
    const data = counting(length).map((byte) => byte ^ 0xa5);
    assert.deepEqual(mac(key, data), blake2s(data, { key, dkLen: MAC_LENGTH }), `MAC of ${length} bytes`);
  }
});

test('hash of parts is the hash of their concatenation (OpenSSL reference)', () => {
  fc.assert(
    fc.property(message, cuts, (data, at) => {
      assert.deepEqual(new Uint8Array(hash(...split(data, at))), opensslHash(data));
    }),
    { numRuns: 300 },
  );
});

test('HMAC of parts agrees with OpenSSL, including keys longer than a block', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), message, cuts, (key, data, at) => {
      assert.deepEqual(new Uint8Array(hmac(key, ...split(data, at))), opensslHmac(key, data));
    }),
    { numRuns: 300 },
  );
});

test('keyed hash agrees with @noble/hashes for every key and output length', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 32 }), message, fc.integer({ min: 1, max: 32 }), (key, data, length) => {
      // noble spells "no key" as undefined; RFC 7693 as a key of length 0.
      const nobleKey = key.length > 0 ? key : undefined;
      assert.deepEqual(keyedHash(key, data, length), blake2s(data, { key: nobleKey, dkLen: length }));
    }),
    { numRuns: 300 },
  );
});

test('hmacInto may write over its own key or message', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 100 }), (key, data) => {
      const expected = opensslHmac(key, data);
      const overKey = Uint8Array.from(key);
      hmacInto(overKey, overKey, data);
      assert.deepEqual(overKey, expected);
      const overMessage = Uint8Array.from([...key, ...data]);
      hmacInto(overMessage, key, overMessage.subarray(32));
      assert.deepEqual(overMessage.subarray(0, 32), expected);
    }),
    { numRuns: 100 },
  );
});

test('a computation leaves nothing behind that changes the next one', () => {
  const data = counting(100);
  const expected = hex(hash(data));
  mac(counting(32), counting(200));
  hmac(counting(80), counting(3));
  keyedHash(counting(5), counting(64), 7);
  assert.equal(hex(hash(data)), expected);
});

test('out-of-range keys and output lengths are refused', () => {
  assert.throws(() => mac(new Uint8Array(33), new Uint8Array(1)), RangeError);
  assert.throws(() => keyedHash(new Uint8Array(0), new Uint8Array(1), 0), RangeError);
  assert.throws(() => keyedHash(new Uint8Array(0), new Uint8Array(1), 33), RangeError);
  assert.throws(() => keyedHash(new Uint8Array(0), new Uint8Array(1), 1.5), RangeError);
});

test('KDF outputs are the HMAC chain (OpenSSL reference) in fresh, separately wipeable buffers', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 64 }), (key, input) => {
      const secret = opensslHmac(key, input);
      const t1 = opensslHmac(secret, Uint8Array.of(1));
      const t2 = opensslHmac(secret, Uint8Array.of(...t1, 2));
      const t3 = opensslHmac(secret, Uint8Array.of(...t2, 3));
      assert.deepEqual(new Uint8Array(kdf1(key, input)), t1);
      const [a1, a2] = kdf2(key, input);
      assert.deepEqual([new Uint8Array(a1), new Uint8Array(a2)], [t1, t2]);
      const [b1, b2, b3] = kdf3(key, input);
      b1.fill(0);
      b2.fill(0);
      assert.deepEqual(new Uint8Array(b3), t3);
      assert.deepEqual(new Uint8Array(a2), t2);
    }),
    { numRuns: 100 },
  );
});
