// Receiver indices (whitepaper section 5.4): the 32-bit numbers this device hands out
// in its handshake messages, which peers echo back in every message to us, so that a
// message finds its handshake or session in one lookup. They are random so that they
// reveal nothing about how many sessions exist or their order, and unique among live
// entries so that a message can mean one thing only.

/** A uniformly random integer in [0, 2^32). */
export type Random32 = () => number;

/**
 * A collision is astronomically unlikely with a working random source; this many in
 * a row means the source is broken, and looping forever would hide it.
 */
const MAX_ATTEMPTS = 1000;

export class IndexTable<T> {
  private readonly entries = new Map<number, T>();

  constructor(private readonly random32: Random32) {}

  /** Stores `value` under a fresh random index and returns the index. */
  add(value: T): number {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const index = this.random32() >>> 0;
      if (!this.entries.has(index)) {
        this.entries.set(index, value);
        return index;
      }
    }
    throw new Error(`no unused index after ${MAX_ATTEMPTS} random draws: the random source is broken`);
  }

  get(index: number): T | undefined {
    return this.entries.get(index);
  }

  /** Puts `value` under a live index, as when a completed handshake becomes a session. */
  replace(index: number, value: T): void {
    if (!this.entries.has(index)) throw new RangeError(`index ${index} is not in use`);
    this.entries.set(index, value);
  }

  delete(index: number): void {
    this.entries.delete(index);
  }

  get size(): number {
    return this.entries.size;
  }
}
