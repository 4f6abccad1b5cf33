// Small buffers for keys, digests and handshake fields, cut from slabs outside
// V8's heap. V8 keeps typed arrays of up to 64 bytes on its heap, and handing
// one to the addon moves it out first, a malloc and a tracked backing store
// each: measured ~1 µs per 32-byte buffer against ~0.3 µs for a slab view.
// A slab lives while any buffer cut from it does; small enough that this pins little.
const SLAB_BYTES = 1024;
/** Larger typed arrays live outside V8's heap anyway. */
const LARGEST_ON_HEAP = 64;

let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

/** Where in `slab` (after this call) the next `length` bytes are. */
function carve(length: number): number {
  if (slabUsed + length > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  slabUsed += length;
  return slabUsed - length;
}

/** A zeroed Buffer outside V8's heap, overlapping no other; whoever puts key material in it wipes it. */
export function offHeapBuffer(length: number): Buffer {
  if (length > LARGEST_ON_HEAP) return Buffer.alloc(length);
  const offset = carve(length); // may start a new slab, so before reading `slab`
  return Buffer.from(slab, offset, length);
}

/** The same as a plain Uint8Array. */
export function offHeapArray(length: number): Uint8Array {
  if (length > LARGEST_ON_HEAP) return new Uint8Array(length);
  const offset = carve(length);
  return new Uint8Array(slab, offset, length);
}
