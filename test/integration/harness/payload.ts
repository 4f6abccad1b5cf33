// Deterministic pseudo-random bytes for transfers: incompressible, different
// in every position (so reordering or duplication changes the hash), and the
// same on every run without storing a file.
import { createCipheriv, createHash } from 'node:crypto';

const CHUNK_BYTES = 64 * 1024;

export function* pseudoRandomChunks(totalBytes: number, seed = 'wirefly-integration'): Generator<Buffer> {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const keystream = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK_BYTES);
  for (let left = totalBytes; left > 0; left -= CHUNK_BYTES) {
    yield keystream.update(zeros.subarray(0, Math.min(CHUNK_BYTES, left)));
  }
}
