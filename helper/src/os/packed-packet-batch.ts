// A read batch as the addon fills it on every OS: packets back to back in one
// buffer and their lengths beside them, the same objects reused at every read.
import type { PacketBatch } from './tun.js';

export class PackedPacketBatch implements PacketBatch {
  count = 0;
  readonly offsets: Uint32Array;

  constructor(
    readonly data: Uint8Array,
    readonly lengths: Uint32Array,
  ) {
    this.offsets = new Uint32Array(lengths.length);
  }

  /** Packets lie back to back, so offsets are running sums of lengths. */
  fill(count: number): void {
    this.count = count;
    let offset = 0;
    for (let i = 0; i < count; i++) {
      this.offsets[i] = offset;
      offset += this.lengths[i]!;
    }
  }

  packet(index: number): Uint8Array {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(`packet index ${index} outside batch of ${this.count}`);
    }
    const offset = this.offsets[index]!;
    return this.data.subarray(offset, offset + this.lengths[index]!);
  }
}
