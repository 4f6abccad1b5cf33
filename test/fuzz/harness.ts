// Runs a fuzz target in a worker thread under a watchdog: an input that runs
// past its CPU-time limit, never returns, or takes the heap past its limit
// stops the run and is reported with its index, seed and text, so that it can
// be replayed alone. The unit tests (10,000 inputs) and `npm run fuzz`
// (1,000,000) run the same code.
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { inputSeed, Random } from './random.js';
import type { FuzzTargetModule, RunStats } from './target.js';
import { loadTarget, type TargetName } from './targets.js';

/** CPU time, not wall time: a run under `nice -n 19` beside benchmarks must not fail for waiting its turn. */
const DEFAULT_CPU_LIMIT_MS = 5_000;
/** Far above what a target needs (tens of megabytes); a leak across inputs runs into it. */
const DEFAULT_HEAP_LIMIT_MB = 512;
const WATCH_INTERVAL_MS = 200;
/** A worker that makes no progress for this many CPU-time limits of wall time is stopped even if it uses no CPU. */
const WALL_LIMIT_FACTOR = 60;

export interface WorkerData {
  readonly target: TargetName;
  readonly seed: number;
  readonly first: number;
  readonly count: number;
  readonly cpuLimitMs: number;
  /** One Int32: how many inputs the worker has started. */
  readonly progress: SharedArrayBuffer;
}

export type FailureKind = 'property' | 'crash' | 'slow' | 'hang' | 'out-of-memory' | 'worker-exit';

export interface FuzzFailure {
  readonly kind: FailureKind;
  readonly index: number;
  readonly message: string;
  readonly input: string;
}

export interface Slowest {
  readonly index: number;
  readonly cpuMs: number;
}

export type WorkerMessage =
  | { readonly type: 'done'; readonly stats: RunStats; readonly peakHeapBytes: number; readonly slowest: Slowest }
  | {
      readonly type: 'failure';
      readonly failure: FuzzFailure;
      readonly stats: RunStats;
      readonly peakHeapBytes: number;
      readonly slowest: Slowest;
    };

export interface FuzzOptions {
  readonly inputs: number;
  readonly seed: number;
  /** The index of the first input; a failure at index i replays with first = i and inputs = 1. */
  readonly first?: number;
  readonly cpuLimitMs?: number;
  readonly heapLimitMb?: number;
  /** Called at every look of the watchdog with the inputs started so far. */
  readonly onProgress?: (started: number) => void;
}

export interface FuzzReport {
  readonly target: TargetName;
  readonly title: string;
  readonly seed: number;
  readonly first: number;
  readonly requested: number;
  /** Counts of the inputs that completed. */
  readonly stats: RunStats;
  readonly elapsedMs: number;
  /** CPU time of the whole process (worker, watchdog and garbage collector). */
  readonly cpuMs: number;
  /** The worker's V8 heap, sampled every 1024 inputs. */
  readonly peakHeapBytes: number;
  /** The process's resident set, sampled at every look of the watchdog. */
  readonly peakRssBytes: number;
  readonly slowest: Slowest;
  readonly failure?: FuzzFailure;
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** The text of input `index` as the worker would have generated it, for inputs the worker could not report itself. */
function describeInput(module: FuzzTargetModule, seed: number, index: number): string {
  try {
    const target = module.create();
    return target.describe(target.generate(new Random(inputSeed(seed, index)), index));
  } catch (error) {
    return `(could not generate it again: ${(error as Error).message})`;
  }
}

export async function runFuzz(name: TargetName, options: FuzzOptions): Promise<FuzzReport> {
  const module = await loadTarget(name);
  const first = options.first ?? 0;
  const cpuLimitMs = options.cpuLimitMs ?? DEFAULT_CPU_LIMIT_MS;
  const progressBuffer = new SharedArrayBuffer(4);
  const progress = new Int32Array(progressBuffer);
  const data: WorkerData = {
    target: name,
    seed: options.seed,
    first,
    count: options.inputs,
    cpuLimitMs,
    progress: progressBuffer,
  };
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  let peakRssBytes = process.memoryUsage.rss();
  const worker = new Worker(new URL('./worker.js', import.meta.url), {
    workerData: data,
    resourceLimits: { maxOldGenerationSizeMb: options.heapLimitMb ?? DEFAULT_HEAP_LIMIT_MB },
  });

  const outcome = await new Promise<{ message?: WorkerMessage; failure?: FuzzFailure }>((resolve) => {
    let settled = false;
    const settle = (result: { message?: WorkerMessage; failure?: FuzzFailure }) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      resolve(result);
    };
    const current = () => first + Math.max(0, Atomics.load(progress, 0) - 1);
    const failure = (kind: FailureKind, message: string): FuzzFailure => ({
      kind,
      index: current(),
      message,
      input: describeInput(module, options.seed, current()),
    });
    let seen = 0;
    let sinceCpu = process.cpuUsage();
    let sinceWall = performance.now();
    const watchdog = setInterval(() => {
      peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
      const now = Atomics.load(progress, 0);
      options.onProgress?.(now);
      if (now !== seen) {
        seen = now;
        sinceCpu = process.cpuUsage();
        sinceWall = performance.now();
        return;
      }
      const cpuMs = cpuMsSince(sinceCpu);
      const wallMs = performance.now() - sinceWall;
      if (cpuMs > cpuLimitMs || wallMs > cpuLimitMs * WALL_LIMIT_FACTOR) {
        settle({
          failure: failure(
            'hang',
            `input ${current()} did not return after ${cpuMs.toFixed(0)} ms of CPU (${wallMs.toFixed(0)} ms)`,
          ),
        });
        void worker.terminate();
      }
    }, WATCH_INTERVAL_MS);
    worker.on('message', (message: WorkerMessage) => settle({ message }));
    worker.on('error', (error: Error & { code?: string }) => {
      const kind = error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out-of-memory' : 'crash';
      settle({ failure: failure(kind, error.stack ?? error.message) });
    });
    worker.on('exit', (code) =>
      settle({ failure: failure('worker-exit', `the worker exited (code ${code}) before finishing its inputs`) }),
    );
  });
  await worker.terminate();

  peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
  const message = outcome.message;
  const failure = outcome.failure ?? (message?.type === 'failure' ? message.failure : undefined);
  return {
    target: name,
    title: module.title,
    seed: options.seed,
    first,
    requested: options.inputs,
    stats: message?.stats ?? {
      inputs: Math.max(0, Atomics.load(progress, 0) - 1),
      kinds: { valid: 0, mutated: 0 },
      results: {},
      tags: {},
    },
    elapsedMs: performance.now() - started,
    cpuMs: cpuMsSince(cpuStart),
    peakHeapBytes: message?.peakHeapBytes ?? 0,
    peakRssBytes,
    slowest: message?.slowest ?? { index: first, cpuMs: 0 },
    ...(failure ? { failure } : {}),
  };
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const percent = (part: number, whole: number) => (whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`);

export function formatReport(report: FuzzReport): string {
  const { stats } = report;
  const lines = [
    `${report.target} (${report.title}): ${stats.inputs.toLocaleString('en')} of ${report.requested.toLocaleString('en')} inputs, seed ${report.seed}`,
    `  valid ${stats.kinds.valid.toLocaleString('en')}, mutated ${stats.kinds.mutated.toLocaleString('en')}`,
  ];
  for (const [key, count] of Object.entries(stats.results).sort()) {
    const kind = key.startsWith('valid') ? stats.kinds.valid : stats.kinds.mutated;
    lines.push(`  ${key}: ${count.toLocaleString('en')} (${percent(count, kind)} of ${key.split(' ')[0]})`);
  }
  const tags = Object.entries(stats.tags).sort(([a], [b]) => a.localeCompare(b));
  lines.push(`  paths: ${tags.map(([tag, count]) => `${tag} ${count.toLocaleString('en')}`).join(', ')}`);
  lines.push(
    `  ${(report.elapsedMs / 1000).toFixed(1)} s wall, ${(report.cpuMs / 1000).toFixed(1)} s CPU; ` +
      `slowest input ${report.slowest.index} at ${report.slowest.cpuMs.toFixed(1)} ms CPU; ` +
      `peak heap ${megabytes(report.peakHeapBytes)}, peak RSS ${megabytes(report.peakRssBytes)}`,
  );
  if (report.failure) {
    const { failure } = report;
    lines.push(
      `  FAILED (${failure.kind}) at input ${failure.index}; replay: WIREFLY_FUZZ_SEED=${report.seed} node dist/test/fuzz/run.js ${report.target} --first ${failure.index} --inputs 1`,
      `  input: ${failure.input}`,
      `  ${failure.message.split('\n').join('\n  ')}`,
    );
  }
  return lines.join('\n');
}

/** Fails unless every input passed and the run as a whole did what the target expects of it. */
export async function assertCleanRun(report: FuzzReport): Promise<void> {
  if (report.failure) assert.fail(formatReport(report));
  assert.equal(report.stats.inputs, report.requested);
  (await loadTarget(report.target)).checkRun(report.stats);
}

function positiveIntegerFromEnvironment(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${name} must be a whole number, not ${JSON.stringify(text)}`);
  return value;
}

/** WIREFLY_FUZZ_INPUTS: inputs per target; CI runs the unit tests' default, `npm run fuzz` a million. */
export function fuzzInputs(fallback: number): number {
  return positiveIntegerFromEnvironment('WIREFLY_FUZZ_INPUTS', fallback);
}

/** WIREFLY_FUZZ_SEED: the same seed gives the same inputs (the engine's own key generation aside). */
export function fuzzSeed(): number {
  return positiveIntegerFromEnvironment('WIREFLY_FUZZ_SEED', 1);
}
