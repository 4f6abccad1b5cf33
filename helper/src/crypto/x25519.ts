// Curve25519 Diffie-Hellman through OpenSSL. Keys cross this module as raw
// 32-byte arrays; OpenSSL wants DER, so the fixed ASN.1 prefixes are prepended.
import { createPrivateKey, createPublicKey, diffieHellman, randomBytes, type KeyObject } from 'node:crypto';

export const KEY_LENGTH = 32;

const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

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
  const object = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(object).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
  return { raw: clamp(raw), publicKey: Buffer.from(publicKey), object };
}

export function generatePrivateKey(): PrivateKey {
  const raw = clamp(randomBytes(KEY_LENGTH));
  const key = importPrivateKey(raw);
  raw.fill(0);
  return key;
}

function importPublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/**
 * The shared secret, or undefined when the peer's key is of low order (the result
 * would be all zeros, which the protocol must reject rather than use).
 */
export function dh(privateKey: PrivateKey, publicKey: Uint8Array): Buffer | undefined {
  if (publicKey.length !== KEY_LENGTH) return undefined;
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: privateKey.object, publicKey: importPublicKey(publicKey) });
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
