// Where transport AEAD runs. Inline: on the calling thread, at once. Workers:
// batches are handed to worker threads through shared memory (one Atomics
// notification per batch, never a message per packet) and handed back in the
// order they were submitted, so per-peer packet order survives parallel crypto.
import { Worker } from 'node:worker_threads';
import { processTransportBatch } from './transport-aead.js';
import { DEFAULT_BATCH_FRAME_BYTES, DEFAULT_BATCH_JOBS, TransportBatch } from './transport-batch.js';
import type { TransportCrypto } from './transport-crypto.js';

export type { TransportCrypto };

export class InlineTransportCrypto implements TransportCrypto {
  private readonly free: TransportBatch[] = [];

  acquire(): TransportBatch {
    return this.free.pop() ?? new TransportBatch();
  }

  submit(batch: TransportBatch, done: (batch: TransportBatch) => void): void {
    processTransportBatch(batch);
    done(batch);
  }

  release(batch: TransportBatch): void {
    batch.reset();
    this.free.push(batch);
  }

  async close(): Promise<void> {
    this.free.length = 0;
  }
}

/** Control words of a worker: see crypto-worker.ts, which reads the same layout. */
export const CONTROL = { submitted: 0, completed: 1, closing: 2, ring: 4 } as const;
export const RING_SLOTS = 64;

export interface CryptoWorkerData {
  readonly control: SharedArrayBuffer;
  readonly batches: readonly SharedArrayBuffer[];
  readonly capacity: number;
}

interface WorkerSlot {
  readonly worker: Worker;
  readonly control: Int32Array;
  readonly batches: TransportBatch[];
  readonly free: TransportBatch[];
  /** Settles when the worker's thread has ended, for whatever reason. */
  readonly exited: Promise<unknown>;
  submitted: number;
  completed: number;
  watching: boolean;
}

interface Pending {
  readonly batch: TransportBatch;
  /** Absent for a batch processed inline because every worker batch was in use. */
  readonly slot: WorkerSlot | undefined;
  readonly sequence: number;
  readonly done: (batch: TransportBatch) => void;
}

export class WorkerTransportCrypto implements TransportCrypto {
  private readonly slots: WorkerSlot[] = [];
  private readonly owner = new Map<TransportBatch, WorkerSlot>();
  private readonly pending: Pending[] = [];
  private readonly overflow = new InlineTransportCrypto();
  private next = 0;
  private closing = false;

  constructor(workers: number, batchesPerWorker = 8) {
    // A worker finds its next batch in a ring of this many slots, so no more can be in flight.
    if (batchesPerWorker > RING_SLOTS) throw new RangeError(`at most ${RING_SLOTS} batches per crypto worker`);
    for (let w = 0; w < workers; w++) {
      const batches = Array.from(
        { length: batchesPerWorker },
        () => new TransportBatch(DEFAULT_BATCH_JOBS, DEFAULT_BATCH_FRAME_BYTES),
      );
      const control = new SharedArrayBuffer((CONTROL.ring + RING_SLOTS) * 4);
      const data: CryptoWorkerData = { control, batches: batches.map((b) => b.buffer), capacity: DEFAULT_BATCH_JOBS };
      const worker = new Worker(new URL('./crypto-worker.js', import.meta.url), { workerData: data });
      worker.unref();
      const slot: WorkerSlot = {
        worker,
        control: new Int32Array(control),
        batches,
        free: [...batches],
        exited: new Promise((resolve) => worker.once('exit', resolve)),
        submitted: 0,
        completed: 0,
        watching: false,
      };
      batches.forEach((batch) => this.owner.set(batch, slot));
      this.slots.push(slot);
    }
  }

  /** A free batch from the next worker that has one; inline ones when all are busy. */
  acquire(): TransportBatch {
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[(this.next + i) % this.slots.length]!;
      const batch = slot.free.pop();
      if (batch) {
        this.next = (this.next + i + 1) % this.slots.length;
        return batch;
      }
    }
    return this.overflow.acquire();
  }

  submit(batch: TransportBatch, done: (batch: TransportBatch) => void): void {
    const slot = this.owner.get(batch);
    if (!slot) {
      // An overflow batch: run it here, but only after everything before it.
      processTransportBatch(batch);
      this.pending.push({ batch, slot: undefined, sequence: -1, done });
      this.drain();
      return;
    }
    const sequence = slot.submitted++;
    slot.control[CONTROL.ring + (sequence % RING_SLOTS)] = slot.batches.indexOf(batch);
    Atomics.store(slot.control, CONTROL.submitted, slot.submitted);
    Atomics.notify(slot.control, CONTROL.submitted);
    this.pending.push({ batch, slot, sequence, done });
    this.watch(slot);
  }

  release(batch: TransportBatch): void {
    batch.reset();
    const slot = this.owner.get(batch);
    if (slot) slot.free.push(batch);
    else this.overflow.release(batch);
  }

  private watch(slot: WorkerSlot): void {
    if (slot.watching) return;
    slot.watching = true;
    // A pending waitAsync does not keep the event loop alive; the worker does, while it has work.
    slot.worker.ref();
    const result = Atomics.waitAsync(slot.control, CONTROL.completed, slot.completed);
    const wake = () => {
      slot.watching = false;
      slot.completed = Atomics.load(slot.control, CONTROL.completed);
      this.drain();
      if (slot.completed < slot.submitted) this.watch(slot);
      // Once closing, the worker stays referenced until it has exited (close()).
      else if (!this.closing) slot.worker.unref();
    };
    if (result.async) void result.value.then(wake);
    else queueMicrotask(wake);
  }

  /** Hands back finished batches, oldest first, stopping at the first unfinished one. */
  private drain(): void {
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      const slot = head.slot;
      if (slot && slot.completed <= head.sequence) {
        slot.completed = Atomics.load(slot.control, CONTROL.completed);
        if (slot.completed <= head.sequence) return;
      }
      this.pending.shift();
      head.done(head.batch);
    }
  }

  async close(): Promise<void> {
    // Each worker leaves its loop when it sees `closing`, and its thread ends on its own. Referenced
    // until then, it keeps the event loop alive for its 'exit' event; a completion still to be
    // noticed must not unreference it again (watch()), or the loop can end first and close()
    // never settles.
    this.closing = true;
    for (const slot of this.slots) {
      slot.worker.ref();
      Atomics.store(slot.control, CONTROL.closing, 1);
      Atomics.notify(slot.control, CONTROL.submitted);
    }
    await Promise.all(this.slots.map((slot) => slot.exited));
    for (const slot of this.slots) for (const batch of slot.batches) batch.reset();
    await this.overflow.close();
  }
}
