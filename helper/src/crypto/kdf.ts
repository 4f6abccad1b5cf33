// The whitepaper's KDF_n: HKDF with HMAC-BLAKE2s, in one call to the BLAKE2s
// implementation in use whatever n is (natively, one crossing into C).
import { blake2sImplementations, HASH_LENGTH } from './blake2s.js';

const active = blake2sImplementations[0]!;
const MAX_OUTPUTS = 3;

/**
 * KDF_n(key, input) into `out`, n = out.length / 32 (1 to 3), the outputs one
 * after the other. `out` may alias the inputs: they are read before it is written.
 */
export function kdfInto(out: Uint8Array, key: Uint8Array, input: Uint8Array): void {
  if (out.length % HASH_LENGTH !== 0 || out.length === 0 || out.length > MAX_OUTPUTS * HASH_LENGTH) {
    throw new RangeError('KDF output must be 32, 64 or 96 bytes');
  }
  active.kdf(out, key, input);
}

/** The outputs in one fresh allocation, each its own Buffer to wipe: callers wipe them. */
function derive(key: Uint8Array, input: Uint8Array, outputs: number): Buffer {
  const out = Buffer.allocUnsafeSlow(outputs * HASH_LENGTH);
  active.kdf(out, key, input);
  return out;
}

export function kdf1(key: Uint8Array, input: Uint8Array): Buffer {
  return derive(key, input, 1);
}

export function kdf2(key: Uint8Array, input: Uint8Array): [Buffer, Buffer] {
  const out = derive(key, input, 2);
  return [out.subarray(0, HASH_LENGTH), out.subarray(HASH_LENGTH)];
}

export function kdf3(key: Uint8Array, input: Uint8Array): [Buffer, Buffer, Buffer] {
  const out = derive(key, input, 3);
  return [out.subarray(0, HASH_LENGTH), out.subarray(HASH_LENGTH, 2 * HASH_LENGTH), out.subarray(2 * HASH_LENGTH)];
}
