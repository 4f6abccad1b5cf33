import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { blake2s } from '@noble/hashes/blake2.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { hash, hmac, mac } from '../../helper/src/crypto/blake2s.js';
import { kdf1, kdf2, kdf3 } from '../../helper/src/crypto/kdf.js';
import { aeadImplementation, aeadImplementations, nobleXaead, xopen, xseal } from '../../helper/src/crypto/aead.js';
import {
  dh,
  dhPair,
  generatePrivateKey,
  importPrivateKey,
  importPublicKey,
  x25519Implementation,
  x25519Implementations,
  type X25519Implementation,
} from '../../helper/src/crypto/x25519.js';
import { constantTimeEqual } from '../../helper/src/crypto/constant-time.js';
import { DIFFIE_HELLMAN, ITERATED, iterate, SCALAR_MULT_VECTORS } from './support/rfc7748.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const LOW_ORDER_POINT = 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800';

test('BLAKE2s-256 of "abc" (RFC 7693 appendix B)', () => {
  assert.equal(
    hash(Buffer.from('abc')).toString('hex'),
    '508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982',
  );
});

test('WireGuard initial chaining key and hash (protocol page constants)', () => {
  const ck = hash(Buffer.from('Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s'));
  assert.equal(ck.toString('hex'), '60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36');
  const h = hash(ck, Buffer.from('WireGuard v1 zx2c4 Jason@zx2c4.com'));
  assert.equal(h.toString('hex'), '2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3');
});

test('HMAC-BLAKE2s and keyed MAC agree with the pure-JS reference', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.uint8Array({ maxLength: 300 }), (key, data) => {
      assert.deepEqual(new Uint8Array(hmac(key, data)), nobleHmac(blake2s, key, data));
      const macKey = key.subarray(0, 32);
      assert.deepEqual(mac(macKey, data), blake2s(data, { key: macKey, dkLen: 16 }));
    }),
    { numRuns: 200 },
  );
});

test('KDF chain: KDF_n outputs are the HKDF expansion, and prefixes agree', () => {
  const key = randomBytes(32);
  const input = randomBytes(32);
  const [a1] = [kdf1(key, input)];
  const [b1, b2] = kdf2(key, input);
  const [c1, c2, c3] = kdf3(key, input);
  assert.deepEqual(a1, b1);
  assert.deepEqual(b1, c1);
  assert.deepEqual(b2, c2);
  const prk = nobleHmac(blake2s, key, input);
  const t1 = nobleHmac(blake2s, prk, Uint8Array.of(1));
  const t2 = nobleHmac(blake2s, prk, Uint8Array.from([...t1, 2]));
  const t3 = nobleHmac(blake2s, prk, Uint8Array.from([...t2, 3]));
  assert.deepEqual(new Uint8Array(c1), t1);
  assert.deepEqual(new Uint8Array(c2), t2);
  assert.deepEqual(new Uint8Array(c3), t3);
});

test('ChaCha20-Poly1305 for handshake messages runs natively here', () => {
  assert.equal(aeadImplementation, 'native');
  assert.deepEqual(
    aeadImplementations.map((implementation) => implementation.name),
    ['native', 'node:crypto'],
  );
});

for (const { name, seal, open } of aeadImplementations) {
  test(`ChaCha20-Poly1305 AEAD (RFC 8439 2.8.2 with its nonce layout), ${name}`, () => {
    // The RFC's nonce is 07000000 4041424344454647: WireGuard's layout with a
    // nonzero first word, so use the reference cipher to check the layout itself.
    const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const ad = hex('50515253c0c1c2c3c4c5c6c7');
    const plaintext = Buffer.from(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const counter = 0x4746454443424140n;
    const nonce = Buffer.alloc(12);
    nonce.writeBigUInt64LE(counter, 4);
    const expected = chacha20poly1305(key, nonce, ad).encrypt(plaintext);
    const sealed = seal(key, counter, plaintext, ad);
    assert.deepEqual(new Uint8Array(sealed), expected);
    assert.deepEqual(open(key, counter, sealed, ad), plaintext);
    const tampered = Buffer.from(sealed);
    tampered[3]! ^= 1;
    assert.equal(open(key, counter, tampered, ad), undefined);
    assert.equal(open(key, counter + 1n, sealed, ad), undefined);
    assert.equal(open(key, counter, sealed, hex('50515253c0c1c2c3c4c5c6c8')), undefined);
    assert.equal(open(key, counter, sealed.subarray(0, 10), ad), undefined);
  });

  test(`ChaCha20-Poly1305 agrees with @noble/ciphers on random inputs, ${name}`, () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.uint8Array({ maxLength: 1500 }),
        fc.uint8Array({ maxLength: 64 }),
        (key, counter, plaintext, ad) => {
          const nonce = Buffer.alloc(12);
          nonce.writeBigUInt64LE(counter, 4);
          const expected = chacha20poly1305(key, nonce, ad).encrypt(plaintext);
          assert.deepEqual(new Uint8Array(seal(key, counter, plaintext, ad)), expected);
          assert.deepEqual(new Uint8Array(open(key, counter, expected, ad)!), plaintext);
        },
      ),
      { numRuns: 200 },
    );
  });
}

test('XChaCha20-Poly1305 round trip; a wrong AD fails', () => {
  const key = randomBytes(32);
  const nonce = randomBytes(24);
  const ad = randomBytes(16);
  const sealed = xseal(key, nonce, Buffer.from('cookie-cookie-16'), ad);
  assert.equal(sealed.length, 32);
  assert.deepEqual(Buffer.from(xopen(key, nonce, sealed, ad)!).toString(), 'cookie-cookie-16');
  assert.equal(xopen(key, nonce, sealed, randomBytes(16)), undefined);
});

test("XChaCha20-Poly1305 in the addon: the draft's A.3.1 vector, and as @noble/ciphers for random inputs", () => {
  // draft-irtf-cfrg-xchacha-03, A.3.1.
  const key = Buffer.from('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f', 'hex');
  const nonce = Buffer.from('404142434445464748494a4b4c4d4e4f5051525354555657', 'hex');
  const ad = Buffer.from('50515253c0c1c2c3c4c5c6c7', 'hex');
  const plaintext = Buffer.from(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  );
  const expected =
    'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452' +
    '2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e' +
    'c0875924c1c7987947deafd8780acf49';
  assert.equal(Buffer.from(xseal(key, nonce, plaintext, ad)).toString('hex'), expected);
  assert.deepEqual(Buffer.from(xopen(key, nonce, Buffer.from(expected, 'hex'), ad)!), plaintext);
  for (let i = 0; i < 200; i++) {
    const [k, n, a, p] = [randomBytes(32), randomBytes(24), randomBytes(i % 40), randomBytes(i * 7)];
    const sealed = xseal(k, n, p, a);
    assert.deepEqual(Buffer.from(sealed), Buffer.from(nobleXaead.seal(k, n, p, a)));
    assert.deepEqual(Buffer.from(xopen(k, n, sealed, a)!), p);
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    assert.equal(xopen(k, n, tampered, a), undefined);
  }
});

test("X25519 runs on OpenSSL's curve primitives here, with its EVP layer and node:crypto as fallbacks", () => {
  assert.equal(x25519Implementation, 'native');
  assert.deepEqual(
    x25519Implementations.map((implementation) => implementation.name),
    ['native', 'native-evp', 'node:crypto'],
  );
});

/** X25519(k, u) with the given implementation; undefined for a zero result. */
function scalarMult(implementation: X25519Implementation, k: Uint8Array, u: Uint8Array): Buffer | undefined {
  return implementation.sharedSecret(implementation.importPrivateKey(k), implementation.importPublicKey(u)!);
}

for (const implementation of x25519Implementations) {
  test(`X25519 scalar multiplication (RFC 7748 5.2), ${implementation.name}`, () => {
    for (const { scalar, u, result } of SCALAR_MULT_VECTORS) {
      assert.equal(scalarMult(implementation, hex(scalar), hex(u))?.toString('hex'), result);
    }
  });

  test(`X25519 iterated 1000 times (RFC 7748 5.2), ${implementation.name}`, () => {
    const seen = iterate((k, u) => scalarMult(implementation, k, u), 1000);
    assert.equal(seen.get(1), ITERATED.once);
    assert.equal(seen.get(1000), ITERATED.thousand);
  });

  test(`X25519 Diffie-Hellman (RFC 7748 6.1), ${implementation.name}`, () => {
    const { alicePrivate, alicePublic, bobPrivate, bobPublic, shared } = DIFFIE_HELLMAN;
    const alice = implementation.importPrivateKey(hex(alicePrivate));
    const bob = implementation.importPrivateKey(hex(bobPrivate));
    assert.equal(alice.publicKey.toString('hex'), alicePublic);
    assert.equal(bob.publicKey.toString('hex'), bobPublic);
    assert.equal(
      implementation.sharedSecret(alice, implementation.importPublicKey(hex(bobPublic))!)?.toString('hex'),
      shared,
    );
    assert.equal(
      implementation.sharedSecret(bob, implementation.importPublicKey(hex(alicePublic))!)?.toString('hex'),
      shared,
    );
  });

  test(`X25519 refuses low-order public keys (zero shared secret), ${implementation.name}`, () => {
    const key = generatePrivateKey(implementation);
    const lowOrder = [
      '0000000000000000000000000000000000000000000000000000000000000000',
      '0100000000000000000000000000000000000000000000000000000000000000',
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    ];
    for (const point of lowOrder)
      assert.equal(implementation.sharedSecret(key, implementation.importPublicKey(hex(point))!), undefined, point);
  });
}

test('X25519 refuses low-order public keys through the engine-facing dh()', () => {
  const key = generatePrivateKey();
  assert.equal(dh(key, hex(LOW_ORDER_POINT)), undefined);
  assert.equal(dh(key, new Uint8Array(31)), undefined);
});

test('X25519: every implementation and @noble/curves agree for random keys', () => {
  for (let i = 0; i < 20; i++) {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const bPublic = x25519.getPublicKey(b);
    const expected = x25519.getSharedSecret(a, bPublic);
    for (const implementation of x25519Implementations) {
      const key = implementation.importPrivateKey(a);
      assert.deepEqual(new Uint8Array(key.publicKey), x25519.getPublicKey(a), implementation.name);
      assert.deepEqual(
        new Uint8Array(implementation.sharedSecret(key, implementation.importPublicKey(bPublic)!)!),
        expected,
        implementation.name,
      );
    }
    const engineKey = importPrivateKey(a);
    assert.deepEqual(new Uint8Array(dh(engineKey, bPublic)!), expected);
    assert.deepEqual(new Uint8Array(dh(engineKey, importPublicKey(bPublic)!)!), expected);
  }
});

test("the engine computes a handshake's two secrets side by side where the IFMA ladder runs them", () => {
  const native = x25519Implementations.find((implementation) => implementation.name === 'native');
  assert.ok(native?.sharedSecretPair, 'the native implementation has no pair: the IFMA ladder did not load');
});

test('X25519 pairs (one key with two points, two keys with one point) match two single secrets, side by side or not', () => {
  for (let i = 0; i < 100; i++) {
    const [a, b, aPoint, bPoint] = [
      randomBytes(32),
      randomBytes(32),
      x25519.getPublicKey(randomBytes(32)),
      x25519.getPublicKey(randomBytes(32)),
    ];
    const cases = [
      [a, aPoint, a, bPoint],
      [a, aPoint, b, aPoint],
      [a, aPoint, b, bPoint],
    ] as const;
    for (const [keyA, pointA, keyB, pointB] of cases) {
      const expected = [x25519.getSharedSecret(keyA, pointA), x25519.getSharedSecret(keyB, pointB)];
      assert.deepEqual(
        dhPair(importPrivateKey(keyA), pointA, importPrivateKey(keyB), pointB)?.map((secret) => new Uint8Array(secret)),
        expected,
      );
      for (const implementation of x25519Implementations) {
        const pair = dhPair(
          implementation.importPrivateKey(keyA),
          pointA,
          implementation.importPrivateKey(keyB),
          pointB,
          implementation,
        );
        assert.deepEqual(
          pair?.map((secret) => new Uint8Array(secret)),
          expected,
          implementation.name,
        );
      }
    }
  }
});

test('X25519 pairs refuse a low-order point on either side, side by side or not', () => {
  for (const implementation of x25519Implementations) {
    const key = generatePrivateKey(implementation);
    const good = x25519.getPublicKey(randomBytes(32));
    assert.equal(dhPair(key, hex(LOW_ORDER_POINT), key, good, implementation), undefined, implementation.name);
    assert.equal(dhPair(key, good, key, hex(LOW_ORDER_POINT), implementation), undefined, implementation.name);
    assert.equal(dhPair(key, good, key, new Uint8Array(31), implementation), undefined, implementation.name);
    assert.ok(dhPair(key, good, key, good, implementation), implementation.name);
  }
});

test('X25519 public keys agree across implementations for 2,000 keys, with scalars that stress digit recoding', () => {
  // Nibbles of 8 and above make every signed radix-16 digit carry; 0 and 0xff clamp to the extremes.
  const edges = [0x00, 0xff, 0x88, 0x77, 0xf8, 0x08].map((byte) => new Uint8Array(32).fill(byte));
  const keys = [...edges, ...Array.from({ length: 2000 }, () => randomBytes(32))];
  for (const raw of keys) {
    const [reference, ...others] = x25519Implementations.map(
      (implementation) => implementation.importPrivateKey(raw).publicKey,
    );
    for (const other of others) assert.deepEqual(other, reference, Buffer.from(raw).toString('hex'));
  }
});

test('constant-time equality', () => {
  assert.equal(constantTimeEqual(Buffer.from('abcd'), Buffer.from('abcd')), true);
  assert.equal(constantTimeEqual(Buffer.from('abcd'), Buffer.from('abce')), false);
  assert.equal(constantTimeEqual(Buffer.from('abc'), Buffer.from('abcd')), false);
});
