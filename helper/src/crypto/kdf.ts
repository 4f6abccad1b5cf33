// The whitepaper's KDF_n: HKDF with HMAC-BLAKE2s, returning n fresh 32-byte keys
// (callers wipe them). The pseudorandom key stays in a scratch buffer, wiped here.
import { HASH_LENGTH, hmacInto } from './blake2s.js';

const ONE = Uint8Array.of(1);
const TWO = Uint8Array.of(2);
const THREE = Uint8Array.of(3);
const pseudorandomKey = new Uint8Array(HASH_LENGTH);

function expand(previous: Uint8Array | undefined, counter: Uint8Array): Buffer {
  const output = Buffer.allocUnsafeSlow(HASH_LENGTH);
  if (previous) hmacInto(output, pseudorandomKey, previous, counter);
  else hmacInto(output, pseudorandomKey, counter);
  return output;
}

export function kdf1(key: Uint8Array, input: Uint8Array): Buffer {
  hmacInto(pseudorandomKey, key, input);
  const t1 = expand(undefined, ONE);
  pseudorandomKey.fill(0);
  return t1;
}

export function kdf2(key: Uint8Array, input: Uint8Array): [Buffer, Buffer] {
  hmacInto(pseudorandomKey, key, input);
  const t1 = expand(undefined, ONE);
  const t2 = expand(t1, TWO);
  pseudorandomKey.fill(0);
  return [t1, t2];
}

export function kdf3(key: Uint8Array, input: Uint8Array): [Buffer, Buffer, Buffer] {
  hmacInto(pseudorandomKey, key, input);
  const t1 = expand(undefined, ONE);
  const t2 = expand(t1, TWO);
  const t3 = expand(t2, THREE);
  pseudorandomKey.fill(0);
  return [t1, t2, t3];
}
