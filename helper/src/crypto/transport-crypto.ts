// Where transport messages are sealed and opened: the interface the engine is
// given (DeviceOptions.transport), so that it loads neither the addon nor
// worker threads itself. crypto-pool.ts has the implementations.
import type { TransportBatch } from './transport-batch.js';

export interface TransportCrypto {
  /** An empty batch to fill; give it back with release() once consumed. */
  acquire(): TransportBatch;
  /** Seals and opens the batch; `done` runs afterwards, in submission order. */
  submit(batch: TransportBatch, done: (batch: TransportBatch) => void): void;
  release(batch: TransportBatch): void;
  close(): Promise<void>;
}
