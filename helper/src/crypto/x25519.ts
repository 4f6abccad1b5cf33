// Curve25519 Diffie-Hellman through OpenSSL. Keys cross this module as raw
// 32-byte arrays and enter OpenSSL as JWK: measured here, importing a key from
// DER takes 0.6–1.6 ms (OpenSSL 3's decoder framework) against 30–60 µs as JWK,
// which decides how many handshakes per second a responder can answer.
import { createPrivateKey, createPublicKey, diffieHellman, randomBytes, type KeyObject } from 'node:crypto';

export const KEY_LENGTH = 32;

/**
 * Node's JWK import insists on an `x` member for private keys, but OpenSSL
 * derives the public key from `d` (the known-answer tests check this), so any
 * well-formed value will do.
 */
const PLACEHOLDER_X = Buffer.alloc(KEY_LENGTH).toString('base64url');

/** A private key prepared for repeated DH, as WireGuard keeps the static key. */
export interface PrivateKey {
  readonly raw: Buffer;
  readonly publicKey: Buffer;
  readonly object: KeyObject;
}

export function clamp(raw: Uint8Array): Buffer {
  const key = Buffer.from(raw);
  key[0]! &= 248;
  key[31] = (key[31]! & 127) | 64;
  return key;
}

export function importPrivateKey(raw: Uint8Array): PrivateKey {
  if (raw.length !== KEY_LENGTH) throw new RangeError('X25519 private key must be 32 bytes');
  const d = Buffer.from(raw).toString('base64url');
  const object = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d, x: PLACEHOLDER_X }, format: 'jwk' });
  const publicKey = Buffer.from(createPublicKey(object).export({ format: 'jwk' }).x!, 'base64url');
  return { raw: clamp(raw), publicKey, object };
}

export function generatePrivateKey(): PrivateKey {
  const raw = clamp(randomBytes(KEY_LENGTH));
  const key = importPrivateKey(raw);
  raw.fill(0);
  return key;
}

/** A public key prepared for DH, for keys used more than once (a peer's static key, an ephemeral in a handshake). */
export type PublicKey = KeyObject;

export function importPublicKey(raw: Uint8Array): PublicKey | undefined {
  if (raw.length !== KEY_LENGTH) return undefined;
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

/**
 * The shared secret, or undefined when the peer's key is of low order (the result
 * would be all zeros, which the protocol must reject rather than use).
 */
export function dh(privateKey: PrivateKey, publicKey: Uint8Array | PublicKey): Buffer | undefined {
  const prepared = publicKey instanceof Uint8Array ? importPublicKey(publicKey) : publicKey;
  if (!prepared) return undefined;
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: privateKey.object, publicKey: prepared });
  } catch {
    // OpenSSL refuses to derive an all-zero secret itself.
    return undefined;
  }
  if (isZero(shared)) return undefined;
  return shared;
}

export function isZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}
