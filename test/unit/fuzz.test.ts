// The fuzz targets of test/fuzz at CI size: WIREFLY_FUZZ_INPUTS inputs each
// (10,000 unless set), the same inputs as the first ones of `npm run fuzz`.
import { test } from 'node:test';
import { assertCleanRun, formatReport, fuzzInputs, fuzzSeed, runFuzz } from '../fuzz/harness.js';
import { TARGET_NAMES } from '../fuzz/targets.js';

const inputs = fuzzInputs(10_000);
const seed = fuzzSeed();

for (const target of TARGET_NAMES) {
  test(`fuzzing ${target}: ${inputs} generated inputs, valid and mutated`, async (t) => {
    const report = await runFuzz(target, { inputs, seed });
    for (const line of formatReport(report).split('\n')) t.diagnostic(line);
    await assertCleanRun(report);
  });
}
