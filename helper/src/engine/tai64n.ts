// TAI64N timestamps for handshake initiations: 8 bytes of seconds (with the TAI64
// offset) and 4 of nanoseconds, both big-endian, so byte order equals time order.

export const TAI64N_LENGTH = 12;
const TAI64_EPOCH = 0x400000000000000an;
/**
 * Nanoseconds are rounded down to this so that the timestamp does not leak a
 * fine-grained clock (as wireguard-go does).
 */
const WHITENER_MASK_NS = 0x1000000;
/** Initiations less than this apart may carry the same timestamp. */
export const TIMESTAMP_RESOLUTION_MS = WHITENER_MASK_NS / 1e6;

export function tai64n(wallClockMs: number): Uint8Array {
  const seconds = Math.floor(wallClockMs / 1000);
  const nanos = Math.floor((wallClockMs - seconds * 1000) * 1e6);
  const out = new Uint8Array(TAI64N_LENGTH);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, TAI64_EPOCH + BigInt(seconds));
  view.setUint32(8, nanos - (nanos % WHITENER_MASK_NS));
  return out;
}

export function isAfter(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < TAI64N_LENGTH; i++) {
    if (a[i] !== b[i]) return a[i]! > b[i]!;
  }
  return false;
}
