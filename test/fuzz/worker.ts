// Runs one target's inputs in a worker thread. The thread that started it
// watches a shared progress counter, so that it can stop an input that never
// returns (an endless loop cannot report itself) and name it.
import { AssertionError } from 'node:assert';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { inputSeed, Random } from './random.js';
import { emptyStats, recordOutcome, type FuzzInput, type Outcome } from './target.js';
import { loadTarget } from './targets.js';
import type { WorkerData, WorkerMessage } from './harness.js';

const HEAP_SAMPLE_EVERY = 1024;

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function errorText(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

async function run(data: WorkerData): Promise<WorkerMessage> {
  const module = await loadTarget(data.target);
  const target = module.create();
  const progress = new Int32Array(data.progress);
  const stats = emptyStats();
  let peakHeapBytes = getHeapStatistics().used_heap_size;
  let slowest = { index: data.first, cpuMs: 0 };
  for (let done = 0; done < data.count; done++) {
    const index = data.first + done;
    Atomics.store(progress, 0, done + 1);
    const start = process.cpuUsage();
    let input: FuzzInput | undefined;
    try {
      input = target.generate(new Random(inputSeed(data.seed, index)), index);
      const checked = target.check(input);
      const outcome: Outcome = checked instanceof Promise ? await checked : checked;
      recordOutcome(stats, input.kind, outcome);
    } catch (error) {
      // An assertion is a property that does not hold; anything else was thrown by the code under test.
      const kind = error instanceof AssertionError ? 'property' : 'crash';
      const described = input ? target.describe(input) : '(the generator itself failed)';
      return {
        type: 'failure',
        failure: { kind, index, message: errorText(error), input: described },
        stats,
        peakHeapBytes,
        slowest,
      };
    }
    const cpuMs = cpuMsSince(start);
    if (cpuMs > slowest.cpuMs) slowest = { index, cpuMs };
    if (cpuMs > data.cpuLimitMs) {
      const message = `input ${index} took ${cpuMs.toFixed(0)} ms of CPU, over the limit of ${data.cpuLimitMs} ms`;
      return {
        type: 'failure',
        failure: { kind: 'slow', index, message, input: target.describe(input) },
        stats,
        peakHeapBytes,
        slowest,
      };
    }
    if (done % HEAP_SAMPLE_EVERY === 0) peakHeapBytes = Math.max(peakHeapBytes, getHeapStatistics().used_heap_size);
  }
  peakHeapBytes = Math.max(peakHeapBytes, getHeapStatistics().used_heap_size);
  return { type: 'done', stats, peakHeapBytes, slowest };
}

parentPort!.postMessage(await run(workerData as WorkerData));
