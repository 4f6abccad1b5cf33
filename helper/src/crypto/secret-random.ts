// Random bytes for keys, drawn from a pool that is refilled a kilobyte at a
// time: a call into node:crypto costs ~3.6 µs whatever its size, and a
// responder makes an ephemeral key per handshake. Bytes are wiped from the
// pool as they are handed out, so none lingers there once used.
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 1024;
const pool = Buffer.allocUnsafeSlow(POOL_BYTES);
let next = POOL_BYTES;

/** Fills `out` (at most POOL_BYTES long) with cryptographically secure random bytes. */
export function fillSecretRandom(out: Uint8Array): void {
  if (out.length > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} random bytes per call`);
  if (next + out.length > POOL_BYTES) {
    randomFillSync(pool);
    next = 0;
  }
  out.set(pool.subarray(next, next + out.length));
  pool.fill(0, next, next + out.length);
  next += out.length;
}
