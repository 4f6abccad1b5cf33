// Curve25519 Diffie-Hellman: natively on raw keys where the crypto addon loads,
// else through node:crypto KeyObjects. A responder does four X25519 operations
// per handshake, so their cost decides how many handshakes per second it
// answers. Measured here, per shared secret: our AVX-512 IFMA ladder 21 µs
// (two at once 28 µs), OpenSSL's curve primitive called directly 39–42 µs, its
// EVP layer 50 µs, our portable ladder (for a runtime without OpenSSL on a CPU
// without IFMA) 50 µs; our fixed-base multiplication makes a public key in 22–25 µs
// against 57 µs through EVP. node:crypto adds a JWK import per key (30–60 µs;
// DER would be 0.6–1.6 ms) and its own per-call overhead.
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { cryptoAddon } from './crypto-addon.js';
import { offHeapBuffer } from './off-heap.js';
import { fillSecretRandom } from './secret-random.js';

import { KEY_LENGTH } from './sizes.js';

export { KEY_LENGTH };

/** A private key prepared for repeated DH, as WireGuard keeps the static key. */
export interface PrivateKey {
  /** Clamped; whoever drops the key zeroes it. */
  readonly raw: Buffer;
  readonly publicKey: Buffer;
  /** node:crypto's form of the key, made only by the node:crypto implementation. */
  readonly object: KeyObject | undefined;
}

/** A public key prepared for DH, for keys used more than once (a peer's static key, an ephemeral in a handshake). */
export interface PublicKey {
  readonly raw: Buffer;
  readonly object: KeyObject | undefined;
}

export interface X25519Implementation {
  readonly name: 'native' | 'native-evp' | 'node:crypto';
  importPrivateKey(raw: Uint8Array): PrivateKey;
  importPublicKey(raw: Uint8Array): PublicKey | undefined;
  /** The shared secret, or undefined when it is all zeros (a low-order public key). */
  sharedSecret(privateKey: PrivateKey, publicKey: PublicKey): Buffer | undefined;
  /** Two shared secrets computed side by side, where that is faster; undefined when either is all zeros. */
  readonly sharedSecretPair?: (
    a: PrivateKey,
    aPublic: PublicKey,
    b: PrivateKey,
    bPublic: PublicKey,
  ) => [Buffer, Buffer] | undefined;
}

export function clamp(raw: Uint8Array): Buffer {
  const key = offHeapBuffer(KEY_LENGTH);
  key.set(raw);
  key[0]! &= 248;
  key[31] = (key[31]! & 127) | 64;
  return key;
}

function checkPrivateKeyLength(raw: Uint8Array): void {
  if (raw.length !== KEY_LENGTH) throw new RangeError('X25519 private key must be 32 bytes');
}

/** The addon's X25519 functions, as tests that call them directly see them too. */
export type NativeSharedSecret = (privateKey: Uint8Array, publicKey: Uint8Array, out: Uint8Array) => boolean;
type NativePublicKey = (privateKey: Uint8Array, out: Uint8Array) => boolean;
export type NativeSharedSecretPair = (
  privateKeyA: Uint8Array,
  publicKeyA: Uint8Array,
  outA: Uint8Array,
  privateKeyB: Uint8Array,
  publicKeyB: Uint8Array,
  outB: Uint8Array,
) => boolean;

/**
 * The addon's functions: x25519Primitive on our AVX-512 IFMA ladder, OpenSSL's curve
 * primitive or our portable ladder (the first the runtime and CPU offer), x25519
 * through OpenSSL's EVP layer where the host exports it.
 */
interface NativeX25519 {
  x25519Primitive?: NativeSharedSecret;
  /** What x25519Primitive runs on; only 'avx512ifma' has a pair that is faster than two singles. */
  x25519PrimitiveBackend?: 'avx512ifma' | 'openssl' | 'portable';
  x25519IfmaPair?: NativeSharedSecretPair;
  x25519BaseFixed?: NativePublicKey;
  x25519?: NativeSharedSecret;
  x25519Base?: NativePublicKey;
}

function pairOn(x25519Pair: NativeSharedSecretPair): NonNullable<X25519Implementation['sharedSecretPair']> {
  return (a, aPublic, b, bPublic) => {
    const aShared = offHeapBuffer(KEY_LENGTH);
    const bShared = offHeapBuffer(KEY_LENGTH);
    if (x25519Pair(a.raw, aPublic.raw, aShared, b.raw, bPublic.raw, bShared)) return [aShared, bShared];
    aShared.fill(0);
    bShared.fill(0);
    return undefined;
  };
}

function nativeImplementation(
  name: X25519Implementation['name'],
  x25519: NativeSharedSecret,
  x25519Base: NativePublicKey,
  x25519Pair?: NativeSharedSecretPair,
): X25519Implementation {
  return {
    name,
    ...(x25519Pair ? { sharedSecretPair: pairOn(x25519Pair) } : {}),
    importPrivateKey(raw) {
      checkPrivateKeyLength(raw);
      const key = clamp(raw);
      const publicKey = offHeapBuffer(KEY_LENGTH);
      if (!x25519Base(key, publicKey)) throw new Error('X25519 public key derivation failed');
      return { raw: key, publicKey, object: undefined };
    },
    importPublicKey(raw) {
      if (raw.length !== KEY_LENGTH) return undefined;
      const key = offHeapBuffer(KEY_LENGTH);
      key.set(raw);
      return { raw: key, object: undefined };
    },
    sharedSecret(privateKey, publicKey) {
      const shared = offHeapBuffer(KEY_LENGTH);
      return x25519(privateKey.raw, publicKey.raw, shared) ? shared : undefined;
    },
  };
}

/**
 * Node's JWK import insists on an `x` member for private keys, but OpenSSL
 * derives the public key from `d` (the known-answer tests check this), so any
 * well-formed value will do.
 */
const PLACEHOLDER_X = Buffer.alloc(KEY_LENGTH).toString('base64url');

function privateKeyObject(raw: Uint8Array): KeyObject {
  const d = Buffer.from(raw).toString('base64url');
  return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d, x: PLACEHOLDER_X }, format: 'jwk' });
}

function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });
}

const nodeCryptoImplementation: X25519Implementation = {
  name: 'node:crypto',
  importPrivateKey(raw) {
    checkPrivateKeyLength(raw);
    const key = clamp(raw);
    const object = privateKeyObject(key);
    const publicKey = Buffer.from(createPublicKey(object).export({ format: 'jwk' }).x!, 'base64url');
    return { raw: key, publicKey, object };
  },
  importPublicKey(raw) {
    return raw.length === KEY_LENGTH ? { raw: Buffer.from(raw), object: publicKeyObject(raw) } : undefined;
  },
  sharedSecret(privateKey, publicKey) {
    let shared: Buffer;
    try {
      shared = diffieHellman({
        privateKey: privateKey.object ?? privateKeyObject(privateKey.raw),
        publicKey: publicKey.object ?? publicKeyObject(publicKey.raw),
      });
    } catch {
      // OpenSSL refuses to derive an all-zero secret itself.
      return undefined;
    }
    return isZero(shared) ? undefined : shared;
  },
};

/** The addon's implementations, fastest first; it leaves out what the runtime's OpenSSL cannot do. */
function nativeImplementations(): X25519Implementation[] {
  const addon = cryptoAddon as NativeX25519 | undefined;
  const found: X25519Implementation[] = [];
  if (addon?.x25519Primitive && addon.x25519BaseFixed) {
    const pair = addon.x25519PrimitiveBackend === 'avx512ifma' ? addon.x25519IfmaPair : undefined;
    found.push(nativeImplementation('native', addon.x25519Primitive, addon.x25519BaseFixed, pair));
  }
  if (addon?.x25519 && addon.x25519Base) found.push(nativeImplementation('native-evp', addon.x25519, addon.x25519Base));
  return found;
}

/** What the addon's x25519Primitive (the 'native' implementation) runs on; undefined where the addon does not load. */
export const nativeX25519Backend = (cryptoAddon as NativeX25519 | undefined)?.x25519PrimitiveBackend;

/** Every implementation this runtime offers, fastest first, for cross-checking them in tests. */
export const x25519Implementations: readonly X25519Implementation[] = [
  ...nativeImplementations(),
  nodeCryptoImplementation,
];

const active = x25519Implementations[0]!;

export const x25519Implementation = active.name;

export function importPrivateKey(raw: Uint8Array): PrivateKey {
  return active.importPrivateKey(raw);
}

const generatedRaw = offHeapBuffer(KEY_LENGTH);

export function generatePrivateKey(implementation: X25519Implementation = active): PrivateKey {
  fillSecretRandom(generatedRaw);
  try {
    return implementation.importPrivateKey(generatedRaw);
  } finally {
    generatedRaw.fill(0);
  }
}

export function importPublicKey(raw: Uint8Array): PublicKey | undefined {
  return active.importPublicKey(raw);
}

/**
 * The shared secret, or undefined when the peer's key is of low order (the result
 * would be all zeros, which the protocol must reject rather than use).
 */
export function dh(privateKey: PrivateKey, publicKey: Uint8Array | PublicKey): Buffer | undefined {
  const prepared = publicKey instanceof Uint8Array ? active.importPublicKey(publicKey) : publicKey;
  return prepared && active.sharedSecret(privateKey, prepared);
}

/**
 * Two shared secrets, side by side where the implementation can (a handshake's
 * ee and se, which come together); undefined when either public key is of low order.
 */
export function dhPair(
  a: PrivateKey,
  aPublic: Uint8Array | PublicKey,
  b: PrivateKey,
  bPublic: Uint8Array | PublicKey,
  implementation: X25519Implementation = active,
): [Buffer, Buffer] | undefined {
  const preparedA = aPublic instanceof Uint8Array ? implementation.importPublicKey(aPublic) : aPublic;
  const preparedB = bPublic instanceof Uint8Array ? implementation.importPublicKey(bPublic) : bPublic;
  if (!preparedA || !preparedB) return undefined;
  if (implementation.sharedSecretPair) return implementation.sharedSecretPair(a, preparedA, b, preparedB);
  const aShared = implementation.sharedSecret(a, preparedA);
  const bShared = aShared && implementation.sharedSecret(b, preparedB);
  if (aShared && bShared) return [aShared, bShared];
  aShared?.fill(0);
  return undefined;
}

export function isZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}
