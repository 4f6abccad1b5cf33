// BLAKE2s as WireGuard uses it: HASH (unkeyed, 32 bytes), HMAC (for the KDF) and
// MAC (keyed BLAKE2s with a 16-byte output, for MAC1/MAC2 and cookies).
// OpenSSL's digest API has no keyed BLAKE2s with a custom length, hence noble for MAC.
import { createHash, createHmac } from 'node:crypto';
import { blake2s } from '@noble/hashes/blake2.js';

export const HASH_LENGTH = 32;
export const MAC_LENGTH = 16;

export function hash(...parts: Uint8Array[]): Buffer {
  const h = createHash('blake2s256');
  for (const part of parts) h.update(part);
  return h.digest();
}

export function hmac(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac('blake2s256', key);
  for (const part of parts) h.update(part);
  return h.digest();
}

export function mac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return blake2s(data, { key, dkLen: MAC_LENGTH });
}
