// The whitepaper's KDF_n: HKDF with HMAC-BLAKE2s, returning n 32-byte keys.
import { hmac } from './blake2s.js';

const ONE = Uint8Array.of(1);

export function kdf1(key: Uint8Array, input: Uint8Array): Buffer {
  const secret = hmac(key, input);
  const t1 = hmac(secret, ONE);
  secret.fill(0);
  return t1;
}

export function kdf2(key: Uint8Array, input: Uint8Array): [Buffer, Buffer] {
  const secret = hmac(key, input);
  const t1 = hmac(secret, ONE);
  const t2 = hmac(secret, t1, Uint8Array.of(2));
  secret.fill(0);
  return [t1, t2];
}

export function kdf3(key: Uint8Array, input: Uint8Array): [Buffer, Buffer, Buffer] {
  const secret = hmac(key, input);
  const t1 = hmac(secret, ONE);
  const t2 = hmac(secret, t1, Uint8Array.of(2));
  const t3 = hmac(secret, t2, Uint8Array.of(3));
  secret.fill(0);
  return [t1, t2, t3];
}
