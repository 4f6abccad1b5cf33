// The worker pool under stress: many batches of mixed sizes and operations,
// submitted in bursts and drained at random moments, while another process
// keeps a core busy, so that workers are preempted at any point of a batch.
// Every frame and result must equal the inline path's, in submission order.
// WIREFLY_POOL_STRESS_BATCHES sets the count (CI runs the default; the full
// stress run is 100,000, see README "Tests").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { InlineTransportCrypto, WorkerTransportCrypto } from '../../helper/src/crypto/crypto-pool.js';
import { processTransportBatch } from '../../helper/src/crypto/transport-aead.js';
import {
  DEFAULT_BATCH_FRAME_BYTES,
  DEFAULT_BATCH_JOBS,
  HEADER_BYTES,
  TAG_BYTES,
  type TransportBatch,
} from '../../helper/src/crypto/transport-batch.js';

const BATCHES = Number(process.env.WIREFLY_POOL_STRESS_BATCHES ?? 10_000);
const MAX_IN_FLIGHT = 24;

/** xorshift32: the same inputs on every run, so that a failure can be replayed from its seed. */
function generator(seed: number): (bound: number) => number {
  let state = seed >>> 0 || 1;
  return (bound) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % bound;
  };
}

type Job =
  | {
      readonly op: 'seal';
      readonly key: Uint8Array;
      readonly counter: bigint;
      readonly packet: Uint8Array;
      readonly padded: number;
      readonly header: Uint8Array;
    }
  | { readonly op: 'open'; readonly key: Uint8Array; readonly counter: bigint; readonly message: Uint8Array };

interface Sealed {
  readonly key: Uint8Array;
  readonly counter: bigint;
  readonly message: Uint8Array;
}

function fill(batch: TransportBatch, jobs: readonly Job[]): void {
  for (const job of jobs) {
    if (job.op === 'seal') batch.frame(batch.addSeal(job.key, job.counter, job.packet, job.padded)).set(job.header);
    else batch.addOpen(job.key, job.counter, job.message);
  }
}

class Workload {
  private readonly random: (bound: number) => number;
  /** Source bytes that packets, keys and headers are cut from. */
  private readonly noise: Uint8Array;
  private readonly sealed: Sealed[] = [];

  constructor(seed: number) {
    this.random = generator(seed);
    this.noise = new Uint8Array(1 << 20);
    for (let i = 0; i < this.noise.length; i++) this.noise[i] = this.random(256);
  }

  private bytes(length: number): Uint8Array {
    const start = this.random(this.noise.length - length);
    return this.noise.slice(start, start + length);
  }

  private jobCount(): number {
    const kind = this.random(100);
    if (kind < 50) return 1 + this.random(8);
    if (kind < 85) return 9 + this.random(56);
    if (kind < 95) return 65 + this.random(DEFAULT_BATCH_JOBS - 64);
    return DEFAULT_BATCH_JOBS;
  }

  private packetLength(): number {
    const kind = this.random(100);
    if (kind < 10) return 0;
    if (kind < 60) return 1 + this.random(200);
    if (kind < 97) return 201 + this.random(1220);
    return 1421 + this.random(7600);
  }

  private seal(): Job {
    const length = this.packetLength();
    const padded = Math.min(Math.ceil(length / 16) * 16, Math.max(1420, length));
    return {
      op: 'seal',
      key: this.bytes(32),
      counter: BigInt(this.random(2 ** 31)) * 4099n,
      packet: this.bytes(length),
      padded,
      header: this.bytes(16),
    };
  }

  /** A message sealed earlier, intact, tampered, or under the wrong counter. */
  private open(): Job {
    const earlier = this.sealed[this.random(this.sealed.length)]!;
    const variant = this.random(10);
    if (variant < 7) return { op: 'open', ...earlier };
    if (variant < 9) {
      const message = Uint8Array.from(earlier.message);
      const bit = 16 * 8 + this.random((message.length - 16) * 8);
      message[bit >> 3]! ^= 1 << (bit & 7);
      return { op: 'open', key: earlier.key, counter: earlier.counter, message };
    }
    return { op: 'open', key: earlier.key, counter: earlier.counter + 1n, message: earlier.message };
  }

  /** The jobs of one batch, fitted to a pool batch's frame space. */
  next(): Job[] {
    const jobs: Job[] = [];
    const count = this.jobCount();
    let frameBytes = 0;
    for (let i = 0; i < count; i++) {
      const job = this.sealed.length > 0 && this.random(3) === 0 ? this.open() : this.seal();
      frameBytes += job.op === 'seal' ? HEADER_BYTES + job.padded + TAG_BYTES : job.message.length;
      if (frameBytes > DEFAULT_BATCH_FRAME_BYTES) break;
      jobs.push(job);
    }
    return jobs;
  }

  /** Keeps some of a finished batch's sealed messages for later batches to open. */
  remember(jobs: readonly Job[], reference: TransportBatch): void {
    jobs.forEach((job, i) => {
      if (job.op !== 'seal' || this.random(4) !== 0) return;
      const message = reference.frame(i).slice();
      if (this.sealed.length < 512) this.sealed.push({ key: job.key, counter: job.counter, message });
      else this.sealed[this.random(512)] = { key: job.key, counter: job.counter, message };
    });
  }
}

/** A process that spins on one core for as long as the test runs. */
function cpuHog(): () => void {
  const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  return () => hog.kill('SIGKILL');
}

test(`two crypto workers hand back ${BATCHES} mixed batches byte for byte as inline, in order, beside a CPU hog`, async () => {
  const stopHog = cpuHog();
  const pool = new WorkerTransportCrypto(2, 4);
  const inline = new InlineTransportCrypto();
  const workload = new Workload(0x5eed + BATCHES);
  let handedBack = 0;
  let inFlight = 0;
  let mismatch: Error | undefined;
  const random = generator(0xc0ffee);
  try {
    for (let n = 0; n < BATCHES && !mismatch; n++) {
      const jobs = workload.next();
      const batch = pool.acquire();
      fill(batch, jobs);
      inFlight++;
      pool.submit(batch, (done) => {
        inFlight--;
        try {
          assert.equal(handedBack, n, 'batches come back in submission order');
          const reference = inline.acquire();
          fill(reference, jobs);
          processTransportBatch(reference);
          assert.equal(done.count, jobs.length);
          for (let i = 0; i < jobs.length; i++) {
            assert.equal(done.succeeded(i), reference.succeeded(i), `batch ${n} job ${i}: result`);
            assert.deepEqual(done.frame(i), reference.frame(i), `batch ${n} job ${i}: frame`);
          }
          workload.remember(jobs, reference);
          inline.release(reference);
        } catch (error) {
          mismatch ??= error as Error;
        }
        handedBack++;
        pool.release(done);
      });
      // Sometimes a burst, sometimes a pause that lets completions arrive on their own.
      if (inFlight >= MAX_IN_FLIGHT || random(8) === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    while (handedBack < BATCHES && !mismatch) await new Promise((resolve) => setTimeout(resolve, 1));
    if (mismatch) throw mismatch;
    assert.equal(handedBack, BATCHES);
  } finally {
    stopHog();
    await pool.close();
  }
});
