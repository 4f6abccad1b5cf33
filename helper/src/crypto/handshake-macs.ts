// The responder's MAC1 check, and under load its MAC2 check and cookie reply,
// in one call into the addon where it loads (cookie.c, which says why), else
// the same made of the primitives one by one.
import { xsealInto } from './aead.js';
import { macInto, macMatches } from './blake2s.js';
import { cryptoAddon } from './crypto-addon.js';
import { FAILS_MAC1, NEEDS_COOKIE, PASSES, type CheckHandshakeMacs } from './handshake-crypto.js';
import { MAC_LENGTH, XNONCE_LENGTH } from './sizes.js';

const REPLY_NONCE = 8;
const REPLY_COOKIE = 32;

const fromPrimitives: CheckHandshakeMacs = (message, mac1Key, source, secret, cookieKey, nonce, reply) => {
  const mac2Offset = message.length - MAC_LENGTH;
  const mac1Offset = mac2Offset - MAC_LENGTH;
  const mac1 = message.subarray(mac1Offset, mac2Offset);
  if (!macMatches(mac1Key, message.subarray(0, mac1Offset), mac1)) return FAILS_MAC1;
  if (source.length === 0) return PASSES;
  const cookie = new Uint8Array(MAC_LENGTH);
  macInto(cookie, secret, source);
  const passes = macMatches(cookie, message.subarray(0, mac2Offset), message.subarray(mac2Offset));
  if (!passes) {
    reply.fill(0);
    reply[0] = 3;
    reply.set(message.subarray(4, 8), 4);
    reply.set(nonce.subarray(0, XNONCE_LENGTH), REPLY_NONCE);
    xsealInto(reply.subarray(REPLY_COOKIE), cookieKey, nonce, cookie, mac1);
  }
  cookie.fill(0);
  return passes ? PASSES : NEEDS_COOKIE;
};

const native = (cryptoAddon as { checkHandshakeMacs?: CheckHandshakeMacs } | undefined)?.checkHandshakeMacs;

export const checkHandshakeMacs: CheckHandshakeMacs = native ?? fromPrimitives;

/** Both, for cross-checking them in tests. */
export const checkHandshakeMacsImplementations: readonly {
  readonly name: 'native' | 'primitives';
  readonly check: CheckHandshakeMacs;
}[] = [...(native ? [{ name: 'native' as const, check: native }] : []), { name: 'primitives', check: fromPrimitives }];
