// Handshake messages wait here between arriving and being answered, apart from
// transport messages. The queue is bounded (as wireguard-go's, 1024) and its
// excess is dropped as it arrives, copied into nothing and allocating nothing;
// the device works through it a bounded slice of time per wake-up, so that
// handshakes, and the Diffie-Hellman work they bring, never hold up the
// transport path for long. Under load a message is checked (MAC1, MAC2, rate
// limit) before it is queued, and says so: see receive.ts.
import type { Endpoint } from '../net/ip.js';
import { INITIATION_SIZE, MESSAGE_INITIATION, RESPONSE_SIZE } from './messages.js';

export const HANDSHAKE_QUEUE_SIZE = 1024;
/** The share of the device's time handshakes may take while they keep coming, and the most credit saved up (ms). */
export const HANDSHAKE_TIME_SHARE = 0.25;
export const HANDSHAKE_TIME_BURST = 4;

export interface QueuedHandshake {
  /** A view of the queue's copy, valid until the next take(). */
  readonly message: Uint8Array;
  readonly source: Endpoint;
  /** Whether its MACs and rate limit were checked before it was queued. */
  readonly checked: boolean;
}

export class HandshakeQueue {
  private readonly storage = new Uint8Array(HANDSHAKE_QUEUE_SIZE * INITIATION_SIZE);
  /** Each slot as an initiation and as a response, made once: messages have one of these two lengths. */
  private readonly initiations = Array.from({ length: HANDSHAKE_QUEUE_SIZE }, (_, i) =>
    this.storage.subarray(i * INITIATION_SIZE, (i + 1) * INITIATION_SIZE),
  );
  private readonly responses = this.initiations.map((slot) => slot.subarray(0, RESPONSE_SIZE));
  private readonly sources: (Endpoint | undefined)[] = new Array<Endpoint | undefined>(HANDSHAKE_QUEUE_SIZE).fill(
    undefined,
  );
  private readonly checked = new Uint8Array(HANDSHAKE_QUEUE_SIZE);
  private readonly taken: { message: Uint8Array; source: Endpoint; checked: boolean } = {
    message: this.storage,
    source: { family: 4, bytes: new Uint8Array(4), port: 0 },
    checked: false,
  };
  private head = 0;
  private count = 0;
  /** Milliseconds of processing time at hand, as of creditAt. */
  private credit = HANDSHAKE_TIME_BURST;
  private creditAt = -Infinity;

  get length(): number {
    return this.count;
  }

  /** How long handshakes may be worked on at `now`: a token bucket of time, so a flood takes at most its share. */
  timeAvailable(now: number): number {
    this.credit = Math.min(HANDSHAKE_TIME_BURST, this.credit + (now - this.creditAt) * HANDSHAKE_TIME_SHARE);
    this.creditAt = now;
    return this.credit;
  }

  /** Charges the time spent working on handshakes. */
  spend(ms: number): void {
    this.credit -= ms;
  }

  /** When the queue should next be worked on: now if there is credit, else once there is. */
  nextDeadline(now: number): number {
    if (this.count === 0) return Infinity;
    const credit = this.timeAvailable(now);
    return credit > 0 ? now : now - credit / HANDSHAKE_TIME_SHARE;
  }

  /**
   * Copies an initiation or response (its length already checked) into the
   * queue; false, having done nothing, when the queue is full.
   */
  push(message: Uint8Array, source: Endpoint, checked: boolean): boolean {
    if (this.count === HANDSHAKE_QUEUE_SIZE) return false;
    const slot = (this.head + this.count) % HANDSHAKE_QUEUE_SIZE;
    this.storage.set(message, slot * INITIATION_SIZE);
    this.sources[slot] = source;
    this.checked[slot] = checked ? 1 : 0;
    this.count++;
    return true;
  }

  /** The oldest message, or undefined when none waits. */
  take(): QueuedHandshake | undefined {
    if (this.count === 0) return undefined;
    const slot = this.head;
    this.head = (this.head + 1) % HANDSHAKE_QUEUE_SIZE;
    this.count--;
    const initiation = this.initiations[slot]!;
    this.taken.message = initiation[0] === MESSAGE_INITIATION ? initiation : this.responses[slot]!;
    this.taken.source = this.sources[slot]!;
    this.taken.checked = this.checked[slot] === 1;
    this.sources[slot] = undefined;
    return this.taken;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.sources.fill(undefined);
    this.storage.fill(0);
  }
}
