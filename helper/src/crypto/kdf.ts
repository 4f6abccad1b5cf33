// The whitepaper's KDF_n: HKDF with HMAC-BLAKE2s, in one call to the BLAKE2s
// implementation in use whatever n is (natively, one crossing into C).
//
// Outputs are separate 32-byte Buffers cut from blake2s.ts's slabs outside V8's
// heap (see there why): measured here, one fresh allocation of 96 bytes cut in
// three cost several times as much as three of 32 (~2 µs against ~0.3 µs).
import { blake2sImplementations, HASH_LENGTH } from './blake2s.js';
import { offHeapBuffer } from './off-heap.js';

const active = blake2sImplementations[0]!;

function checkOutput(out: Uint8Array | undefined): void {
  if (out && out.length !== HASH_LENGTH) throw new RangeError('KDF outputs must be 32 bytes');
}

/**
 * KDF_n(key, input) into the n = 1 to 3 given outputs, each 32 bytes. They may
 * alias the inputs: those are read before any output is written.
 */
export function kdfInto(key: Uint8Array, input: Uint8Array, t1: Uint8Array, t2?: Uint8Array, t3?: Uint8Array): void {
  checkOutput(t1);
  checkOutput(t2);
  checkOutput(t3);
  if (t2 && t3) active.kdf(key, input, t1, t2, t3);
  else if (t2) active.kdf(key, input, t1, t2);
  else active.kdf(key, input, t1);
}

/** Callers wipe the outputs. */
export function kdf1(key: Uint8Array, input: Uint8Array): Buffer {
  const t1 = offHeapBuffer(HASH_LENGTH);
  active.kdf(key, input, t1);
  return t1;
}

export function kdf2(key: Uint8Array, input: Uint8Array): [Buffer, Buffer] {
  const t1 = offHeapBuffer(HASH_LENGTH);
  const t2 = offHeapBuffer(HASH_LENGTH);
  active.kdf(key, input, t1, t2);
  return [t1, t2];
}

export function kdf3(key: Uint8Array, input: Uint8Array): [Buffer, Buffer, Buffer] {
  const t1 = offHeapBuffer(HASH_LENGTH);
  const t2 = offHeapBuffer(HASH_LENGTH);
  const t3 = offHeapBuffer(HASH_LENGTH);
  active.kdf(key, input, t1, t2, t3);
  return [t1, t2, t3];
}
