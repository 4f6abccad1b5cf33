// Seeded randomness for the fuzz generators. Every input is built from a stream
// of its own, seeded by the run's seed and the input's index, so that any one
// input can be rebuilt alone (to report it, or to replay a failure) without
// generating the inputs before it.

/** sfc32: fast, small, and good enough for choosing test inputs (not for keys). */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    // The first outputs of a fresh state still show the seed's bits.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.uint32() / 0x1_0000_0000;
  }

  /** Uniform integer in [min, max], both included; exact for spans up to 2^53. */
  int(min: number, max: number): number {
    const span = max - min + 1;
    if (span <= 0x1_0000_0000) return min + Math.floor(this.float() * span);
    const high = this.uint32() * 0x1_0000_0000 + this.uint32();
    return min + (high % span);
  }

  /** An index in [0, length). */
  below(length: number): number {
    return this.int(0, length - 1);
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('nothing to pick from');
    return items[this.below(items.length)]!;
  }

  /** One of the choices, each as likely as its weight. */
  weighted<T>(choices: readonly (readonly [weight: number, value: T])[]): T {
    const total = choices.reduce((sum, [weight]) => sum + weight, 0);
    let point = this.float() * total;
    for (const [weight, value] of choices) {
      point -= weight;
      if (point < 0) return value;
    }
    return choices[choices.length - 1]![1];
  }

  bytes(length: number): Uint8Array {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const word = this.uint32();
      for (let j = 0; j < 4 && i + j < length; j++) bytes[i + j] = word >>> (8 * j);
    }
    return bytes;
  }

  /** A uniformly random 64-bit unsigned integer. */
  uint64(): bigint {
    return (BigInt(this.uint32()) << 32n) | BigInt(this.uint32());
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

/** The seed of input `index` of a run seeded with `seed`: the two mixed so that neighbours share no bits. */
export function inputSeed(seed: number, index: number): number {
  let h =
    (Math.imul(seed >>> 0, 0x85ebca6b) ^ Math.imul(index >>> 0, 0xc2b2ae35) ^ Math.floor(index / 0x1_0000_0000)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}
