// The primitives the handshake and the cookies run on, as one interface the
// engine is given (DeviceOptions.crypto) rather than one it imports, so that
// the engine loads no implementation of its own: the helper passes the
// fastest this runtime has (provider.ts), tests may pass another.
import type { PrivateKey, PublicKey } from './x25519.js';

export type { PrivateKey, PublicKey };

/** What checkHandshakeMacs found: MAC1 wrong, the message passes, or a cookie reply was written for it. */
export const FAILS_MAC1 = 0;
export const PASSES = 1;
export const NEEDS_COOKIE = 2;
export type HandshakeMacsOutcome = typeof FAILS_MAC1 | typeof PASSES | typeof NEEDS_COOKIE;

export type CheckHandshakeMacs = (
  message: Uint8Array,
  mac1Key: Uint8Array,
  /** The sender's address and port; empty when the device is not under load, and MAC2 is not looked at. */
  source: Uint8Array,
  secret: Uint8Array,
  cookieKey: Uint8Array,
  nonce: Uint8Array,
  reply: Uint8Array,
) => HandshakeMacsOutcome;

/** Fills the array with cryptographically secure random bytes. */
export type FillRandom = (out: Uint8Array) => void;

export interface HandshakeCrypto {
  /** Clamps and prepares a static or ephemeral private key for repeated DH. */
  importPrivateKey(raw: Uint8Array): PrivateKey;
  importPublicKey(raw: Uint8Array): PublicKey | undefined;
  /** The shared secret, or undefined when it is all zeros (a low-order public key). */
  dh(privateKey: PrivateKey, publicKey: PublicKey): Buffer | undefined;
  /** Two shared secrets at once (a handshake's ee and se); undefined when either is all zeros. */
  dhPair(a: PrivateKey, aPublic: PublicKey, b: PrivateKey, bPublic: PublicKey): [Buffer, Buffer] | undefined;
  /** BLAKE2s HASH(first ‖ second). */
  hash(first: Uint8Array, second?: Uint8Array): Buffer;
  /** The same into a 32-byte `out`, which may alias the inputs. */
  hashInto(out: Uint8Array, first: Uint8Array, second?: Uint8Array): void;
  /** Keyed BLAKE2s with a 16-byte output (MAC1, MAC2, cookies). */
  mac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** The same into a 16-byte `out`. */
  macInto(out: Uint8Array, key: Uint8Array, data: Uint8Array): void;
  /** Whether the 16-byte `expected` is the MAC of data under key, compared in constant time. */
  macMatches(key: Uint8Array, data: Uint8Array, expected: Uint8Array): boolean;
  kdf1(key: Uint8Array, input: Uint8Array): Buffer;
  kdf2(key: Uint8Array, input: Uint8Array): [Buffer, Buffer];
  kdf3(key: Uint8Array, input: Uint8Array): [Buffer, Buffer, Buffer];
  /** KDF_n into the 1 to 3 given 32-byte outputs, which may alias the inputs. */
  kdfInto(key: Uint8Array, input: Uint8Array, t1: Uint8Array, t2?: Uint8Array, t3?: Uint8Array): void;
  /** ChaCha20-Poly1305 with the counter as nonce. */
  seal(key: Uint8Array, counter: bigint, plaintext: Uint8Array, ad?: Uint8Array): Buffer;
  /** The plaintext, or undefined when authentication fails. */
  open(key: Uint8Array, counter: bigint, ciphertext: Uint8Array, ad?: Uint8Array): Buffer | undefined;
  /** XChaCha20-Poly1305, for cookie replies, into `out` (plaintext.length + 16 bytes). */
  xsealInto(out: Uint8Array, key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): void;
  xopen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array | undefined;
  /** A responder's MAC1 check, and under load MAC2 and the cookie reply (handshake-macs.ts). */
  checkHandshakeMacs: CheckHandshakeMacs;
}
