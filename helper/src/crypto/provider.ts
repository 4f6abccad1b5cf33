// The crypto the helper gives its engines: the fastest implementation of each
// primitive this runtime offers (the addon's, else node:crypto's and
// TypeScript's, see each module), and secure randomness from a pool.
import { open, seal, xopen, xsealInto } from './aead.js';
import { hash, hashInto, mac, macInto, macMatches } from './blake2s.js';
import { InlineTransportCrypto } from './crypto-pool.js';
import type { FillRandom, HandshakeCrypto } from './handshake-crypto.js';
import { checkHandshakeMacs } from './handshake-macs.js';
import { kdf1, kdf2, kdf3, kdfInto } from './kdf.js';
import { fillSecretRandom } from './secret-random.js';
import type { TransportCrypto } from './transport-crypto.js';
import { dh, dhPair, importPrivateKey, importPublicKey } from './x25519.js';

export const handshakeCrypto: HandshakeCrypto = {
  importPrivateKey,
  importPublicKey,
  dh,
  dhPair,
  hash,
  hashInto,
  mac,
  macInto,
  macMatches,
  kdf1,
  kdf2,
  kdf3,
  kdfInto,
  seal,
  open,
  xsealInto,
  xopen,
  checkHandshakeMacs,
};

export const secureRandom: FillRandom = fillSecretRandom;

export interface EngineCrypto {
  readonly crypto: HandshakeCrypto;
  readonly transport: TransportCrypto;
  readonly random: FillRandom;
}

/** The crypto, transport crypto (inline unless given) and randomness an engine Device runs on. */
export function engineCrypto(transport: TransportCrypto = new InlineTransportCrypto()): EngineCrypto {
  return { crypto: handshakeCrypto, transport, random: secureRandom };
}
