// The responder's MAC checks and cookie replies in one call: the addon's and
// the one made of primitives agree on every outcome and every reply byte, and
// a reply gives the initiator a cookie that makes MAC2 valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { FAILS_MAC1, NEEDS_COOKIE, PASSES } from '../../helper/src/crypto/handshake-crypto.js';
import { checkHandshakeMacsImplementations } from '../../helper/src/crypto/handshake-macs.js';
import { handshakeCrypto } from '../../helper/src/crypto/provider.js';
import { CookieGenerator } from '../../helper/src/engine/cookie.js';
import { LABEL_COOKIE, LABEL_MAC1 } from '../../helper/src/engine/constants.js';

const encoder = new TextEncoder();

test('the addon has its own checkHandshakeMacs here', () => {
  assert.deepEqual(
    checkHandshakeMacsImplementations.map(({ name }) => name),
    ['native', 'primitives'],
  );
});

test('native and primitives agree on outcomes and replies, for initiations and responses, in and out of load', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(148, 92),
      fc.uint8Array({ minLength: 148, maxLength: 148 }),
      fc.constantFrom('valid', 'bad-mac1', 'valid-mac2'),
      fc.boolean(),
      fc.constantFrom(6, 18),
      (length, bytes, kind, underLoad, sourceLength) => {
        const serverPublic = randomBytes(32);
        const mac1Key = handshakeCrypto.hash(encoder.encode(LABEL_MAC1), serverPublic);
        const cookieKey = handshakeCrypto.hash(encoder.encode(LABEL_COOKIE), serverPublic);
        const secret = randomBytes(32);
        const source = randomBytes(sourceLength);
        const message = Uint8Array.from(bytes.subarray(0, length));
        message.set(handshakeCrypto.mac(mac1Key, message.subarray(0, length - 32)), length - 32);
        if (kind === 'bad-mac1') message[length - 20]! ^= 1;
        if (kind === 'valid-mac2') {
          const cookie = handshakeCrypto.mac(secret, source);
          message.set(handshakeCrypto.mac(cookie, message.subarray(0, length - 16)), length - 16);
        }
        const nonce = randomBytes(24);
        const outcomes = checkHandshakeMacsImplementations.map(({ check }) => {
          const reply = new Uint8Array(64).fill(0xee);
          const outcome = check(
            message,
            mac1Key,
            underLoad ? source : new Uint8Array(0),
            underLoad ? secret : new Uint8Array(0),
            cookieKey,
            nonce,
            reply,
          );
          return { outcome, reply: outcome === NEEDS_COOKIE ? Buffer.from(reply).toString('hex') : undefined };
        });
        assert.deepEqual(outcomes[0], outcomes[1]);
        const expected = kind === 'bad-mac1' ? FAILS_MAC1 : underLoad && kind !== 'valid-mac2' ? NEEDS_COOKIE : PASSES;
        assert.equal(outcomes[0]!.outcome, expected);
      },
    ),
    { numRuns: 300 },
  );
});

test('a reply gives the initiator the cookie: its next message passes MAC2 from that source', () => {
  for (const { name, check } of checkHandshakeMacsImplementations) {
    const serverPublic = randomBytes(32);
    const mac1Key = handshakeCrypto.hash(encoder.encode(LABEL_MAC1), serverPublic);
    const cookieKey = handshakeCrypto.hash(encoder.encode(LABEL_COOKIE), serverPublic);
    const secret = randomBytes(32);
    const source = Uint8Array.of(198, 51, 100, 7, 0x12, 0x34);
    const initiator = new CookieGenerator(handshakeCrypto, serverPublic);
    const first = randomBytes(148);
    initiator.addMacs(first, 0);
    const reply = new Uint8Array(64);
    assert.equal(check(first, mac1Key, source, secret, cookieKey, randomBytes(24), reply), NEEDS_COOKIE, name);
    assert.deepEqual(
      Buffer.from(reply.subarray(4, 8)),
      Buffer.from(first.subarray(4, 8)),
      `${name}: the reply names the sender's index`,
    );
    assert.equal(initiator.consumeReply(reply, 1), true, name);
    const second = randomBytes(148);
    initiator.addMacs(second, 2);
    assert.equal(check(second, mac1Key, source, secret, cookieKey, randomBytes(24), new Uint8Array(64)), PASSES, name);
    const elsewhere = Uint8Array.of(198, 51, 100, 8, 0x12, 0x34);
    assert.equal(
      check(second, mac1Key, elsewhere, secret, cookieKey, randomBytes(24), new Uint8Array(64)),
      NEEDS_COOKIE,
      `${name}: bound to the source`,
    );
  }
});

test('the addon refuses wrong lengths instead of reading past them', () => {
  const native = checkHandshakeMacsImplementations.find(({ name }) => name === 'native')!.check;
  const key = new Uint8Array(32);
  assert.throws(
    () =>
      native(
        new Uint8Array(30),
        key,
        new Uint8Array(0),
        new Uint8Array(0),
        key,
        new Uint8Array(24),
        new Uint8Array(64),
      ),
    RangeError,
  );
  assert.throws(
    () => native(new Uint8Array(148), key, new Uint8Array(19), key, key, new Uint8Array(24), new Uint8Array(64)),
    RangeError,
  );
  assert.throws(
    () =>
      native(
        new Uint8Array(148),
        key,
        new Uint8Array(6),
        new Uint8Array(31),
        key,
        new Uint8Array(24),
        new Uint8Array(64),
      ),
    RangeError,
  );
  assert.throws(
    () =>
      native(
        new Uint8Array(148),
        key,
        new Uint8Array(0),
        new Uint8Array(0),
        key,
        new Uint8Array(24),
        new Uint8Array(63),
      ),
    RangeError,
  );
});
