// The receive-side replay filter of WireGuard (whitepaper section 5.4.6), shaped as
// the Linux kernel's: a ring of COUNTER_BITS_TOTAL bits, one per counter, recycled a
// block at a time as the greatest counter moves forward.
//
// Why the window is COUNTER_BITS_TOTAL - 64: moving forward clears whole 64-bit
// blocks, so the block holding the greatest counter may be only partly used. Keeping
// one block's worth of bits spare means every counter within COUNTER_WINDOW_SIZE of
// the greatest still has its own, unrecycled bit, wherever the greatest counter sits
// in its block; beyond that distance counters are refused outright.
//
// Counters are 64-bit but this runs per packet, so no bigint arithmetic: a counter is
// split into its ring position (the low 13 bits) and its lap around the ring (the
// high 51 bits, exact in a double).

/** Bits in the ring. */
export const COUNTER_BITS_TOTAL = 8192;
/** The kernel's BITS_PER_LONG: the ring is recycled in blocks of this many bits. */
const COUNTER_REDUNDANT_BITS = 64;
/** A counter at most this far behind the greatest accepted one can still be accepted. */
export const COUNTER_WINDOW_SIZE = COUNTER_BITS_TOTAL - COUNTER_REDUNDANT_BITS;

const BLOCKS = COUNTER_BITS_TOTAL / COUNTER_REDUNDANT_BITS;
const WORDS_PER_BLOCK = COUNTER_REDUNDANT_BITS / 32;
const LAP_SHIFT = 13n;
const POSITION_MASK = BigInt(COUNTER_BITS_TOTAL - 1);
const SAFE_COUNTER = BigInt(Number.MAX_SAFE_INTEGER);

export class ReplayFilter {
  /**
   * Made at the first packet: a responder makes a keypair per handshake, many
   * never used (a flood of initiations), and the 1 KB ring, memory outside the
   * JS heap, measured 1 µs alone and 5–9 µs in a responder's profile.
   */
  private ring: Uint32Array | undefined;
  /** The greatest counter accepted so far, as lap and position; lap -1 before the first. */
  private greatestLap = -1;
  private greatestPosition = COUNTER_BITS_TOTAL - 1;

  /**
   * Whether a packet with this counter, already authenticated, may be accepted; it is
   * then remembered. Refuses counters seen before, more than COUNTER_WINDOW_SIZE
   * behind the greatest accepted one, or not below `limit` (REJECT_AFTER_MESSAGES).
   */
  validate(counter: bigint, limit: bigint): boolean {
    if (counter >= limit || counter < 0n) return false;
    let lap: number;
    let position: number;
    if (counter <= SAFE_COUNTER) {
      const value = Number(counter);
      lap = Math.floor(value / COUNTER_BITS_TOTAL);
      position = value - lap * COUNTER_BITS_TOTAL;
    } else {
      lap = Number(counter >> LAP_SHIFT);
      position = Number(counter & POSITION_MASK);
    }
    const laps = lap - this.greatestLap;
    const ahead = laps > 1 ? Infinity : laps * COUNTER_BITS_TOTAL + position - this.greatestPosition;
    if (ahead > 0) {
      this.clearBlocksAhead(laps, position);
      this.greatestLap = lap;
      this.greatestPosition = position;
    } else if (ahead < -COUNTER_WINDOW_SIZE) {
      return false;
    }
    const word = position >>> 5;
    const mask = 1 << (position & 31);
    const ring = (this.ring ??= new Uint32Array(COUNTER_BITS_TOTAL / 32));
    if ((ring[word]! & mask) !== 0) return false;
    ring[word]! |= mask;
    return true;
  }

  reset(): void {
    this.ring?.fill(0);
    this.greatestLap = -1;
    this.greatestPosition = COUNTER_BITS_TOTAL - 1;
  }

  /**
   * Forgets the blocks after the greatest counter's, up to and including the block of
   * the new greatest counter, `laps` laps on at `position`.
   */
  private clearBlocksAhead(laps: number, position: number): void {
    const ring = this.ring;
    if (!ring) return; // nothing to forget yet
    const from = this.greatestPosition >>> 6;
    const blocksAhead = laps * BLOCKS + (position >>> 6) - from;
    const count = Math.min(blocksAhead, BLOCKS);
    for (let i = 1; i <= count; i++) {
      const block = (from + i) & (BLOCKS - 1);
      ring.fill(0, block * WORDS_PER_BLOCK, (block + 1) * WORDS_PER_BLOCK);
    }
  }
}
