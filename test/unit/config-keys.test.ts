import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeBase64, encodeBase64 } from '../../helper/src/config/base64.js';
import {
  generatePresharedKey,
  generatePrivateKey,
  keyFromBase64,
  keyToBase64,
  parseKeyText,
  publicKeyFromPrivate,
} from '../../helper/src/config/index.js';

const hex = (text: string) => Uint8Array.from(text.match(/../g)!.map((h) => parseInt(h, 16)));

test('base64 round-trips any bytes and matches Node', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      const text = encodeBase64(bytes);
      assert.equal(text, Buffer.from(bytes).toString('base64'));
      assert.deepEqual(decodeBase64(text), bytes);
    }),
  );
});

test('base64 decoding refuses non-canonical text', () => {
  for (const text of ['AB=', 'A===', 'AB=C', 'AB==\n', ' ABC', 'AB*C', 'AB', 'AF==', 'ABD=']) {
    assert.equal(decodeBase64(text), undefined, text);
  }
  assert.deepEqual(decodeBase64('AA=='), new Uint8Array([0]));
});

test('keys: 32 bytes in 44 characters; wrong lengths are told apart from non-base64', () => {
  const key = keyFromBase64('SKop/2PZ6wWCzpZTnragzdDFnmArRRWCjKeC5mtbnG8=');
  assert.equal(key?.length, 32);
  assert.deepEqual(parseKeyText('AAAA'), { ok: false, problem: 'wrong-length', byteLength: 3 });
  assert.deepEqual(parseKeyText('not a key'), { ok: false, problem: 'not-base64' });
  assert.throws(() => keyToBase64(new Uint8Array(31)), RangeError);
});

test('public keys: RFC 7748 known answer and a pair made by wg genkey | wg pubkey', () => {
  const alicePrivate = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  assert.deepEqual(
    publicKeyFromPrivate(alicePrivate),
    hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'),
  );
  const wgPrivate = keyFromBase64('SKop/2PZ6wWCzpZTnragzdDFnmArRRWCjKeC5mtbnG8=')!;
  assert.equal(keyToBase64(publicKeyFromPrivate(wgPrivate)), 'MFOTVKMm2pLBxdJWZS6vM+kHhoh773qJibYFXhRkt24=');
});

test('generated private keys are clamped as wg genkey clamps them; keys differ each time', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const key = generatePrivateKey();
    assert.equal(key[0]! & 7, 0);
    assert.equal(key[31]! & 0xc0, 0x40);
    seen.add(keyToBase64(key));
    seen.add(keyToBase64(generatePresharedKey()));
  }
  assert.equal(seen.size, 100);
});

test('an unclamped private key has the same public key as its clamped form', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (raw) => {
      const clamped = new Uint8Array(raw);
      clamped[0]! &= 248;
      clamped[31] = (clamped[31]! & 127) | 64;
      assert.deepEqual(publicKeyFromPrivate(raw), publicKeyFromPrivate(clamped));
    }),
    { numRuns: 30 },
  );
});
