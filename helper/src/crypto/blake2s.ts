// BLAKE2s (RFC 7693) as WireGuard uses it: HASH (unkeyed, 32 bytes), HMAC (for
// the KDF, see kdf.ts) and MAC (keyed BLAKE2s with a 16-byte output, for MAC1/MAC2
// and cookies). Natively in the crypto addon where it loads, else in TypeScript.
//
// Why not node:crypto: creating an OpenSSL hash or HMAC object costs several
// microseconds, many times the work of the one or two blocks a handshake hashes
// at a time, and OpenSSL offers no keyed BLAKE2s with a custom length at all.
//
// The TypeScript implementation is written out on 32-bit integers. Every function
// runs to completion synchronously, so one module-wide state serves them all; it
// is zeroed after each digest, as it may hold key material.
import { constantTimeEqual } from './constant-time.js';
import { cryptoAddon } from './crypto-addon.js';
import { offHeapArray, offHeapBuffer } from './off-heap.js';

import { HASH_LENGTH, MAC_LENGTH } from './sizes.js';

export { HASH_LENGTH, MAC_LENGTH };
export const MAX_KEY_LENGTH = 32;
const BLOCK_LENGTH = 64;

const IV = Int32Array.of(
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
);

// RFC 7693 section 2.7: the message word order of each of the ten rounds.
const SIGMA = Uint8Array.of(
  0,
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  12,
  13,
  14,
  15,
  14,
  10,
  4,
  8,
  9,
  15,
  13,
  6,
  1,
  12,
  0,
  2,
  11,
  7,
  5,
  3,
  11,
  8,
  12,
  0,
  5,
  2,
  15,
  13,
  10,
  14,
  3,
  6,
  7,
  1,
  9,
  4,
  7,
  9,
  3,
  1,
  13,
  12,
  11,
  14,
  2,
  6,
  5,
  10,
  4,
  0,
  15,
  8,
  9,
  0,
  5,
  7,
  2,
  4,
  10,
  15,
  14,
  1,
  11,
  12,
  6,
  8,
  3,
  13,
  2,
  12,
  6,
  10,
  0,
  11,
  8,
  3,
  4,
  13,
  7,
  5,
  15,
  14,
  1,
  9,
  12,
  5,
  1,
  15,
  14,
  13,
  4,
  10,
  0,
  7,
  6,
  3,
  9,
  2,
  8,
  11,
  13,
  11,
  7,
  14,
  12,
  1,
  3,
  9,
  5,
  0,
  15,
  4,
  8,
  6,
  2,
  10,
  6,
  15,
  14,
  9,
  11,
  3,
  0,
  8,
  12,
  2,
  13,
  7,
  1,
  4,
  10,
  5,
  10,
  2,
  8,
  4,
  7,
  6,
  1,
  5,
  15,
  11,
  9,
  14,
  3,
  12,
  13,
  0,
);

const chain = new Int32Array(8);
const words = new Int32Array(16);
/** The last block seen is held back: only at the end is it known to be the final one. */
const pending = new Uint8Array(BLOCK_LENGTH);
let pendingLength = 0;
/** Bytes compressed so far, the t of RFC 7693; a double counts far enough. */
let compressed = 0;
let digestLength = HASH_LENGTH;

// HMAC's key and inner digest; wiped after each use, so the key is zero-padded.
const hmacKey = new Uint8Array(BLOCK_LENGTH);
const innerDigest = new Uint8Array(HASH_LENGTH);
const IPAD = 0x36;
const OPAD = 0x5c;

function rotateRight(word: number, bits: number): number {
  return (word >>> bits) | (word << (32 - bits));
}

/**
 * RFC 7693 function F over the 64 bytes of `block` at `offset`. The working
 * vector lives in locals and G is written out: through an array and a helper
 * function it measured several times slower.
 */
function compress(block: Uint8Array, offset: number, last: boolean): void {
  for (let i = 0; i < 16; i++, offset += 4) {
    words[i] = block[offset]! | (block[offset + 1]! << 8) | (block[offset + 2]! << 16) | (block[offset + 3]! << 24);
  }
  let v0 = chain[0]!,
    v1 = chain[1]!,
    v2 = chain[2]!,
    v3 = chain[3]!;
  let v4 = chain[4]!,
    v5 = chain[5]!,
    v6 = chain[6]!,
    v7 = chain[7]!;
  let v8 = IV[0]!,
    v9 = IV[1]!,
    v10 = IV[2]!,
    v11 = IV[3]!;
  let v12 = IV[4]! ^ compressed;
  // XOR truncates the quotient to the counter's high word.
  let v13 = IV[5]! ^ (compressed / 0x100000000);
  let v14 = last ? ~IV[6]! : IV[6]!;
  let v15 = IV[7]!;
  for (let s = 0; s < SIGMA.length; s += 16) {
    // G on the columns,
    v0 = (v0 + v4 + words[SIGMA[s]!]!) | 0;
    v12 = rotateRight(v12 ^ v0, 16);
    v8 = (v8 + v12) | 0;
    v4 = rotateRight(v4 ^ v8, 12);
    v0 = (v0 + v4 + words[SIGMA[s + 1]!]!) | 0;
    v12 = rotateRight(v12 ^ v0, 8);
    v8 = (v8 + v12) | 0;
    v4 = rotateRight(v4 ^ v8, 7);
    v1 = (v1 + v5 + words[SIGMA[s + 2]!]!) | 0;
    v13 = rotateRight(v13 ^ v1, 16);
    v9 = (v9 + v13) | 0;
    v5 = rotateRight(v5 ^ v9, 12);
    v1 = (v1 + v5 + words[SIGMA[s + 3]!]!) | 0;
    v13 = rotateRight(v13 ^ v1, 8);
    v9 = (v9 + v13) | 0;
    v5 = rotateRight(v5 ^ v9, 7);
    v2 = (v2 + v6 + words[SIGMA[s + 4]!]!) | 0;
    v14 = rotateRight(v14 ^ v2, 16);
    v10 = (v10 + v14) | 0;
    v6 = rotateRight(v6 ^ v10, 12);
    v2 = (v2 + v6 + words[SIGMA[s + 5]!]!) | 0;
    v14 = rotateRight(v14 ^ v2, 8);
    v10 = (v10 + v14) | 0;
    v6 = rotateRight(v6 ^ v10, 7);
    v3 = (v3 + v7 + words[SIGMA[s + 6]!]!) | 0;
    v15 = rotateRight(v15 ^ v3, 16);
    v11 = (v11 + v15) | 0;
    v7 = rotateRight(v7 ^ v11, 12);
    v3 = (v3 + v7 + words[SIGMA[s + 7]!]!) | 0;
    v15 = rotateRight(v15 ^ v3, 8);
    v11 = (v11 + v15) | 0;
    v7 = rotateRight(v7 ^ v11, 7);
    // then on the diagonals.
    v0 = (v0 + v5 + words[SIGMA[s + 8]!]!) | 0;
    v15 = rotateRight(v15 ^ v0, 16);
    v10 = (v10 + v15) | 0;
    v5 = rotateRight(v5 ^ v10, 12);
    v0 = (v0 + v5 + words[SIGMA[s + 9]!]!) | 0;
    v15 = rotateRight(v15 ^ v0, 8);
    v10 = (v10 + v15) | 0;
    v5 = rotateRight(v5 ^ v10, 7);
    v1 = (v1 + v6 + words[SIGMA[s + 10]!]!) | 0;
    v12 = rotateRight(v12 ^ v1, 16);
    v11 = (v11 + v12) | 0;
    v6 = rotateRight(v6 ^ v11, 12);
    v1 = (v1 + v6 + words[SIGMA[s + 11]!]!) | 0;
    v12 = rotateRight(v12 ^ v1, 8);
    v11 = (v11 + v12) | 0;
    v6 = rotateRight(v6 ^ v11, 7);
    v2 = (v2 + v7 + words[SIGMA[s + 12]!]!) | 0;
    v13 = rotateRight(v13 ^ v2, 16);
    v8 = (v8 + v13) | 0;
    v7 = rotateRight(v7 ^ v8, 12);
    v2 = (v2 + v7 + words[SIGMA[s + 13]!]!) | 0;
    v13 = rotateRight(v13 ^ v2, 8);
    v8 = (v8 + v13) | 0;
    v7 = rotateRight(v7 ^ v8, 7);
    v3 = (v3 + v4 + words[SIGMA[s + 14]!]!) | 0;
    v14 = rotateRight(v14 ^ v3, 16);
    v9 = (v9 + v14) | 0;
    v4 = rotateRight(v4 ^ v9, 12);
    v3 = (v3 + v4 + words[SIGMA[s + 15]!]!) | 0;
    v14 = rotateRight(v14 ^ v3, 8);
    v9 = (v9 + v14) | 0;
    v4 = rotateRight(v4 ^ v9, 7);
  }
  chain[0] = chain[0]! ^ v0 ^ v8;
  chain[1] = chain[1]! ^ v1 ^ v9;
  chain[2] = chain[2]! ^ v2 ^ v10;
  chain[3] = chain[3]! ^ v3 ^ v11;
  chain[4] = chain[4]! ^ v4 ^ v12;
  chain[5] = chain[5]! ^ v5 ^ v13;
  chain[6] = chain[6]! ^ v6 ^ v14;
  chain[7] = chain[7]! ^ v7 ^ v15;
}

function begin(outputLength: number, key?: Uint8Array): void {
  const keyLength = key?.length ?? 0;
  chain.set(IV);
  // Parameter block word 0: digest length, key length, fanout 1, depth 1.
  chain[0]! ^= 0x01010000 | (keyLength << 8) | outputLength;
  digestLength = outputLength;
  compressed = 0;
  pendingLength = 0;
  if (keyLength > 0) {
    absorb(key!);
    pending.fill(0, pendingLength);
    pendingLength = BLOCK_LENGTH;
  }
}

function absorb(data: Uint8Array): void {
  const length = data.length;
  let offset = 0;
  while (offset < length) {
    if (pendingLength === BLOCK_LENGTH) {
      compressed += BLOCK_LENGTH;
      compress(pending, 0, false);
      pendingLength = 0;
    }
    if (pendingLength === 0 && length - offset > BLOCK_LENGTH) {
      compressed += BLOCK_LENGTH;
      compress(data, offset, false);
      offset += BLOCK_LENGTH;
      continue;
    }
    while (pendingLength < BLOCK_LENGTH && offset < length) pending[pendingLength++] = data[offset++]!;
  }
}

/** Writes the digest to `out` and wipes the state. */
function finish(out: Uint8Array): void {
  compressed += pendingLength;
  pending.fill(0, pendingLength);
  compress(pending, 0, true);
  for (let i = 0; i < digestLength; i++) out[i] = chain[i >> 2]! >>> ((i & 3) << 3);
  chain.fill(0);
  words.fill(0);
  pending.fill(0);
}

/**
 * RFC 2104 with a 64-byte block: keeps the key (hashed if longer than a block)
 * and starts the inner hash over it padded and masked with ipad.
 */
function beginHmac(key: Uint8Array): void {
  if (key.length > BLOCK_LENGTH) {
    begin(HASH_LENGTH);
    absorb(key);
    finish(hmacKey);
  } else {
    hmacKey.set(key);
  }
  beginWithMaskedKey(IPAD);
}

function beginWithMaskedKey(mask: number): void {
  begin(HASH_LENGTH);
  for (let i = 0; i < BLOCK_LENGTH; i++) pending[i] = hmacKey[i]! ^ mask;
  pendingLength = BLOCK_LENGTH;
}

function finishHmac(out: Uint8Array): void {
  finish(innerDigest);
  beginWithMaskedKey(OPAD);
  absorb(innerDigest);
  finish(out);
  hmacKey.fill(0);
  innerDigest.fill(0);
}

function typescriptHmac(out: Uint8Array, key: Uint8Array, first: Uint8Array, second: Uint8Array): void {
  beginHmac(key);
  absorb(first);
  absorb(second);
  finishHmac(out);
}

const EMPTY = new Uint8Array(0);
// The KDF's pseudorandom key and counter byte, wiped after each use.
const pseudorandomKey = new Uint8Array(HASH_LENGTH);
const counter = new Uint8Array(1);

/** HKDF's expand step: output i is the HMAC of output i - 1 (none for the first) and i. */
function expand(out: Uint8Array, previous: Uint8Array, i: number): void {
  counter[0] = i;
  typescriptHmac(out, pseudorandomKey, previous, counter);
}

function typescriptKdf(key: Uint8Array, input: Uint8Array, t1: Uint8Array, t2?: Uint8Array, t3?: Uint8Array): void {
  typescriptHmac(pseudorandomKey, key, input, EMPTY);
  expand(t1, EMPTY, 1);
  if (t2) expand(t2, t1, 2);
  if (t2 && t3) expand(t3, t2, 3);
  pseudorandomKey.fill(0);
  counter.fill(0);
}

/**
 * One implementation of what WireGuard builds on BLAKE2s, writing into buffers
 * the caller owns. Lengths are checked by the exported functions below, not
 * here. `out` may alias the inputs: they are all read before it is written.
 */
export interface Blake2sImplementation {
  readonly name: 'native' | 'typescript';
  /** out (32 bytes) = HASH(first ‖ second). */
  hash(out: Uint8Array, first: Uint8Array, second: Uint8Array): void;
  /** Keyed BLAKE2s (RFC 7693 section 3.3); out's length (1 to 32) is the output length, the key at most 32 bytes. */
  keyedHash(out: Uint8Array, key: Uint8Array, data: Uint8Array): void;
  /** Whether keyed BLAKE2s of data, as long as `expected` (1 to 32 bytes), equals it, in constant time. */
  keyedVerify(key: Uint8Array, data: Uint8Array, expected: Uint8Array): boolean;
  /** out (32 bytes) = HMAC(key, first ‖ second), over BLAKE2s-256 with a 64-byte block. */
  hmac(out: Uint8Array, key: Uint8Array, first: Uint8Array, second: Uint8Array): void;
  /**
   * The whitepaper's KDF_n(key, input) into n = 1 to 3 outputs of 32 bytes. Called
   * with exactly n outputs, no undefined in their place: the native one counts them.
   */
  kdf(key: Uint8Array, input: Uint8Array, t1: Uint8Array, t2?: Uint8Array, t3?: Uint8Array): void;
}

const typescriptImplementation: Blake2sImplementation = {
  name: 'typescript',
  hash(out, first, second) {
    begin(HASH_LENGTH);
    absorb(first);
    absorb(second);
    finish(out);
  },
  keyedHash(out, key, data) {
    begin(out.length, key);
    absorb(data);
    finish(out);
  },
  keyedVerify(key, data, expected) {
    const digest = new Uint8Array(expected.length);
    this.keyedHash(digest, key, data);
    const equal = constantTimeEqual(digest, expected);
    digest.fill(0);
    return equal;
  },
  hmac: typescriptHmac,
  kdf: typescriptKdf,
};

interface NativeBlake2s {
  blake2sHash(out: Uint8Array, first: Uint8Array, second: Uint8Array): void;
  blake2sKeyed(out: Uint8Array, key: Uint8Array, data: Uint8Array): void;
  blake2sKeyedVerify(key: Uint8Array, data: Uint8Array, expected: Uint8Array): boolean;
  blake2sHmac(out: Uint8Array, key: Uint8Array, first: Uint8Array, second: Uint8Array): void;
  blake2sKdf(key: Uint8Array, input: Uint8Array, t1: Uint8Array, t2?: Uint8Array, t3?: Uint8Array): void;
}

/** The crypto addon's, one call per operation (see helper/native/src/blake2s.c for measurements). */
function nativeImplementation(addon: NativeBlake2s): Blake2sImplementation {
  return {
    name: 'native',
    hash: addon.blake2sHash,
    keyedHash: addon.blake2sKeyed,
    keyedVerify: addon.blake2sKeyedVerify,
    hmac: addon.blake2sHmac,
    kdf: addon.blake2sKdf,
  };
}

const addon = cryptoAddon as Partial<NativeBlake2s> | undefined;

/**
 * Every implementation this runtime offers, the one in use first; for
 * cross-checking them in tests. The native one comes with the crypto addon, so
 * where the addon is not built the TypeScript one is used.
 */
export const blake2sImplementations: readonly Blake2sImplementation[] =
  addon?.blake2sHash && addon.blake2sKeyed && addon.blake2sKeyedVerify && addon.blake2sHmac && addon.blake2sKdf
    ? [nativeImplementation(addon as NativeBlake2s), typescriptImplementation]
    : [typescriptImplementation];

const active = blake2sImplementations[0]!;

export const blake2sImplementation = active.name;

function checkLength(length: number, what: string, min: number, max: number): void {
  if (!(length >= min && length <= max)) {
    throw new RangeError(min === max ? `${what} must be ${min} bytes` : `${what} must be ${min} to ${max} bytes`);
  }
}

/** Writes HASH(first ‖ second) into `out` (32 bytes). */
export function hashInto(out: Uint8Array, first: Uint8Array, second: Uint8Array = EMPTY): void {
  checkLength(out.length, 'BLAKE2s output', HASH_LENGTH, HASH_LENGTH);
  active.hash(out, first, second);
}

export function hash(first: Uint8Array, second: Uint8Array = EMPTY): Buffer {
  const digest = offHeapBuffer(HASH_LENGTH);
  active.hash(digest, first, second);
  return digest;
}

/** Writes HMAC-BLAKE2s(key, first ‖ second) into `out` (32 bytes), which may alias the inputs. */
export function hmacInto(out: Uint8Array, key: Uint8Array, first: Uint8Array, second: Uint8Array = EMPTY): void {
  checkLength(out.length, 'HMAC output', HASH_LENGTH, HASH_LENGTH);
  active.hmac(out, key, first, second);
}

export function hmac(key: Uint8Array, first: Uint8Array, second: Uint8Array = EMPTY): Buffer {
  const digest = offHeapBuffer(HASH_LENGTH);
  active.hmac(digest, key, first, second);
  return digest;
}

/** Keyed BLAKE2s (RFC 7693 section 3.3) into `out`, whose length (1 to 32 bytes) is the output length. */
export function keyedHashInto(out: Uint8Array, key: Uint8Array, data: Uint8Array): void {
  checkLength(key.length, 'BLAKE2s key', 0, MAX_KEY_LENGTH);
  checkLength(out.length, 'BLAKE2s output', 1, HASH_LENGTH);
  active.keyedHash(out, key, data);
}

/** Keyed BLAKE2s (RFC 7693 section 3.3) with an output of 1 to 32 bytes. */
export function keyedHash(key: Uint8Array, data: Uint8Array, outputLength: number): Uint8Array {
  checkLength(key.length, 'BLAKE2s key', 0, MAX_KEY_LENGTH);
  if (!Number.isInteger(outputLength)) throw new RangeError('BLAKE2s output length must be an integer');
  checkLength(outputLength, 'BLAKE2s output', 1, HASH_LENGTH);
  const digest = offHeapArray(outputLength);
  active.keyedHash(digest, key, data);
  return digest;
}

/** WireGuard's MAC: keyed BLAKE2s with a 16-byte output. */
export function mac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return keyedHash(key, data, MAC_LENGTH);
}

/** The same into a 16-byte `out`, which is not allocated per call. */
export function macInto(out: Uint8Array, key: Uint8Array, data: Uint8Array): void {
  checkLength(out.length, 'MAC output', MAC_LENGTH, MAC_LENGTH);
  checkLength(key.length, 'BLAKE2s key', 0, MAX_KEY_LENGTH);
  active.keyedHash(out, key, data);
}

/** Whether `expected` (16 bytes) is the MAC of data under key; compared in constant time. */
export function macMatches(key: Uint8Array, data: Uint8Array, expected: Uint8Array): boolean {
  checkLength(expected.length, 'MAC', MAC_LENGTH, MAC_LENGTH);
  checkLength(key.length, 'BLAKE2s key', 0, MAX_KEY_LENGTH);
  return active.keyedVerify(key, data, expected);
}
