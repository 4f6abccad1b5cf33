// A transport-crypto worker thread: waits for batch numbers in its ring,
// processes each batch in place, and counts it as completed.
import { workerData } from 'node:worker_threads';
import { CONTROL, RING_SLOTS, type CryptoWorkerData } from './crypto-pool.js';
import { processTransportBatch } from './transport-aead.js';
import { TransportBatch } from './transport-batch.js';

const data = workerData as CryptoWorkerData;
const control = new Int32Array(data.control);
const batches = data.batches.map((buffer) => TransportBatch.view(buffer, data.capacity));

/** Processes batches as they are submitted until the pool says it is closing; the thread then ends on its own. */
function serve(): void {
  let completed = 0;
  for (;;) {
    while (Atomics.load(control, CONTROL.submitted) === completed) {
      if (Atomics.load(control, CONTROL.closing)) return;
      Atomics.wait(control, CONTROL.submitted, completed, 1000);
    }
    if (Atomics.load(control, CONTROL.closing)) return;
    const batch = batches[control[CONTROL.ring + (completed % RING_SLOTS)]!]!;
    processTransportBatch(batch);
    completed++;
    Atomics.store(control, CONTROL.completed, completed);
    Atomics.notify(control, CONTROL.completed);
  }
}

serve();
