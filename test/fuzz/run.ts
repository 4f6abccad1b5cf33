// `npm run fuzz`: every target with a million inputs (WIREFLY_FUZZ_INPUTS, or
// --inputs), one after the other, each in a worker under the harness's
// watchdog. Prints each target's report and writes them all to
// test/fuzz/results/latest.json; exits non-zero if any target failed.
//
//   npm run fuzz -- [TARGET...] [--inputs N] [--seed S] [--first I] [--cpu-limit-ms MS]
//
// Meant for minutes outside CI, beside other work: run it under `nice -n 19`.
// The limit per input is tighter than the unit tests' (which must hold on any
// CPU), so that an input that is merely slow, as a quadratic algorithm is on
// an input not quite large enough to hang it, fails the run too.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { assertCleanRun, formatReport, fuzzInputs, fuzzSeed, runFuzz, type FuzzReport } from './harness.js';
import { isTargetName, TARGET_NAMES, type TargetName } from './targets.js';

const PROGRESS_EVERY_MS = 30_000;

function wholeNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`--${name} must be a whole number, not ${JSON.stringify(text)}`);
  return value;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    inputs: { type: 'string' },
    seed: { type: 'string' },
    first: { type: 'string' },
    'cpu-limit-ms': { type: 'string' },
  },
});
const unknown = positionals.filter((name) => !isTargetName(name));
if (unknown.length > 0)
  throw new Error(`no fuzz target ${unknown.join(', ')}; the targets are ${TARGET_NAMES.join(', ')}`);
const targets: readonly TargetName[] = positionals.length > 0 ? (positionals as TargetName[]) : TARGET_NAMES;
const inputs = wholeNumber('inputs', values.inputs, fuzzInputs(1_000_000));
const seed = wholeNumber('seed', values.seed, fuzzSeed());
const first = wholeNumber('first', values.first, 0);
const cpuLimitMs = wholeNumber('cpu-limit-ms', values['cpu-limit-ms'], 1_000);

const reports: { report: FuzzReport; problem?: string }[] = [];
for (const target of targets) {
  const started = performance.now();
  let lastNote = started;
  console.log(
    `${target}: ${inputs.toLocaleString('en')} inputs from ${first}, seed ${seed}, at most ${cpuLimitMs} ms of CPU each`,
  );
  const report = await runFuzz(target, {
    inputs,
    seed,
    first,
    cpuLimitMs,
    onProgress: (done) => {
      const now = performance.now();
      if (now - lastNote < PROGRESS_EVERY_MS) return;
      lastNote = now;
      console.log(
        `  ${target}: ${done.toLocaleString('en')} of ${inputs.toLocaleString('en')} after ${((now - started) / 60_000).toFixed(1)} min`,
      );
    },
  });
  let problem: string | undefined;
  try {
    await assertCleanRun(report);
  } catch (error) {
    problem = (error as Error).message;
  }
  console.log(formatReport(report));
  if (problem && !report.failure) console.log(`  FAILED: ${problem}`);
  reports.push({ report, ...(problem ? { problem } : {}) });
}

const results = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fuzz', 'results');
mkdirSync(results, { recursive: true });
writeFileSync(join(results, 'latest.json'), `${JSON.stringify(reports, null, 2)}\n`);
const failed = reports.filter((r) => r.problem !== undefined).map((r) => r.report.target);
console.log(
  failed.length === 0 ? `clean: ${reports.map((r) => r.report.target).join(', ')}` : `FAILED: ${failed.join(', ')}`,
);
process.exitCode = failed.length === 0 ? 0 : 1;
