import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { COUNTER_BITS_TOTAL, COUNTER_WINDOW_SIZE, ReplayFilter } from '../../helper/src/engine/replay.js';
import { REJECT_AFTER_MESSAGES } from '../../helper/src/engine/constants.js';
import { NaiveReplayFilter } from './support/naive-replay-filter.js';

const LIMIT = REJECT_AFTER_MESSAGES;
const WINDOW = BigInt(COUNTER_WINDOW_SIZE);

function expectSequence(filter: ReplayFilter, steps: ReadonlyArray<readonly [bigint, boolean]>): void {
  steps.forEach(([counter, expected], i) => {
    assert.equal(filter.validate(counter, LIMIT), expected, `step ${i + 1}: counter ${counter}`);
  });
}

test('the window is the ring less one 64-bit block', () => {
  assert.equal(COUNTER_BITS_TOTAL, 8192);
  assert.equal(COUNTER_WINDOW_SIZE, 8128);
});

test('accepts counters in order and refuses each of them a second time', () => {
  const filter = new ReplayFilter();
  for (let c = 0n; c < 20_000n; c++) assert.ok(filter.validate(c, LIMIT), `first ${c}`);
  for (let c = 20_000n - WINDOW - 1n; c < 20_000n; c++) {
    assert.equal(filter.validate(c, LIMIT), false, `again ${c}`);
  }
});

test('accepts out-of-order counters within the window once each', () => {
  const filter = new ReplayFilter();
  expectSequence(filter, [
    [100n, true],
    [50n, true],
    [99n, true],
    [0n, true],
    [50n, false],
    [101n, true],
    [98n, true],
    [99n, false],
    [100n, false],
  ]);
});

test('a counter exactly COUNTER_WINDOW_SIZE behind is judged by its bit, one further is refused', () => {
  // Wherever the greatest counter sits inside its 64-bit block, the edge is the same.
  for (const greatest of [WINDOW, WINDOW + 1n, 10_000n, 10_047n, 10_048n, 10_111n, 3n * 8192n - 1n]) {
    const filter = new ReplayFilter();
    assert.ok(filter.validate(greatest, LIMIT));
    assert.equal(filter.validate(greatest - WINDOW - 1n, LIMIT), false, `${greatest}: window + 1 behind`);
    assert.ok(filter.validate(greatest - WINDOW, LIMIT), `${greatest}: window behind`);
    assert.equal(filter.validate(greatest - WINDOW, LIMIT), false, `${greatest}: window behind, again`);
    assert.ok(filter.validate(greatest - WINDOW + 1n, LIMIT), `${greatest}: window - 1 behind`);
  }
});

test('the whole window can be filled in any direction', () => {
  const backwards = new ReplayFilter();
  for (let c = WINDOW; c >= 0n; c--) assert.ok(backwards.validate(c, LIMIT), `backwards ${c}`);
  for (let c = 0n; c <= WINDOW; c++) assert.equal(backwards.validate(c, LIMIT), false, `backwards again ${c}`);

  const forwardsThenZero = new ReplayFilter();
  for (let c = 1n; c <= WINDOW; c++) assert.ok(forwardsThenZero.validate(c, LIMIT));
  assert.ok(forwardsThenZero.validate(0n, LIMIT));
  assert.equal(forwardsThenZero.validate(0n, LIMIT), false);
  assert.ok(forwardsThenZero.validate(WINDOW + 1n, LIMIT));
  assert.equal(forwardsThenZero.validate(0n, LIMIT), false, 'now too old');
});

test('a jump beyond the window forgets everything before it', () => {
  const filter = new ReplayFilter();
  for (let c = 0n; c < 300n; c++) filter.validate(c, LIMIT);
  const far = 10n * BigInt(COUNTER_BITS_TOTAL) + 5n;
  assert.ok(filter.validate(far, LIMIT));
  assert.equal(filter.validate(299n, LIMIT), false, 'too old');
  // The counters sharing ring bits with the old ones are new and must pass.
  for (let c = far - WINDOW; c < far; c++) assert.ok(filter.validate(c, LIMIT), `after jump ${c}`);
});

test('a jump of exactly one lap reuses the same bit', () => {
  const filter = new ReplayFilter();
  const lap = BigInt(COUNTER_BITS_TOTAL);
  expectSequence(filter, [
    [7n, true],
    [7n + lap, true],
    [7n + lap, false],
    [7n, false],
    [8n + lap - WINDOW, true],
    [7n + lap - WINDOW, true],
    [6n + lap - WINDOW, false],
  ]);
});

test('a sequence in the style of the kernel self-test', () => {
  const edge = WINDOW + 1n;
  const filter = new ReplayFilter();
  expectSequence(filter, [
    [0n, true],
    [0n, false],
    [2n, true],
    [1n, true],
    [1n, false],
    [12n, true],
    [11n, true],
    [12n, false],
    [edge, true],
    [edge - 2n, true],
    [edge - 2n, false],
    [edge - 1n, true],
    [3n, true],
    [3n, false],
    [edge + 20n, true],
    [4n, false],
    [edge + 20n, false],
    [edge * 3n, true],
    [edge * 3n - WINDOW, true],
    [13n, false],
    [edge * 3n - WINDOW - 1n, false],
    [edge * 3n - WINDOW + 1n, true],
    [edge * 3n - WINDOW, false],
    [0n, false],
  ]);
});

test('counters at and beyond the limit are refused, just below it accepted', () => {
  const filter = new ReplayFilter();
  assert.equal(REJECT_AFTER_MESSAGES, 2n ** 64n - 2n ** 13n - 1n);
  expectSequence(filter, [
    [5n, true],
    [LIMIT, false],
    [LIMIT + 1n, false],
    [2n ** 64n - 1n, false],
    [LIMIT - 1n, true],
    [LIMIT - 1n, false],
    [5n, false],
    [LIMIT - 3n, true],
    [LIMIT, false],
    [LIMIT - 2n, true],
    [LIMIT - 3n, false],
    [LIMIT - 1n - WINDOW, true],
    [LIMIT - 2n - WINDOW, false],
  ]);
  assert.equal(filter.validate(100n, 100n), false, 'a caller-given lower limit applies');
  assert.equal(filter.validate(-1n, LIMIT), false, 'negative counters are not counters');
});

test('counters across 2^53, where doubles stop being exact, stay distinct', () => {
  const filter = new ReplayFilter();
  const safe = 2n ** 53n;
  expectSequence(filter, [
    [safe - 1n, true],
    [safe, true],
    [safe + 1n, true],
    [safe + 1n, false],
    [safe, false],
    [safe - 1n, false],
    [safe + 2n, true],
    [safe - 2n, true],
    [safe + 3n + WINDOW, true],
    [safe + 2n, false],
    [safe + 3n, true],
  ]);
});

test('reset forgets every counter', () => {
  const filter = new ReplayFilter();
  assert.ok(filter.validate(1_000_000n, LIMIT));
  filter.reset();
  assert.ok(filter.validate(0n, LIMIT));
  assert.ok(filter.validate(1_000_000n, LIMIT));
});

type Step = { readonly kind: 'near'; readonly offset: number } | { readonly kind: 'jump'; readonly to: bigint };

const W = COUNTER_WINDOW_SIZE;
const LAP = COUNTER_BITS_TOTAL;
/** Offsets from the greatest accepted counter, dense where the filter can go wrong. */
const offsetArbitrary = fc.oneof(
  fc.constantFrom(-W - 1, -W, -W + 1, -64, -63, -1, 0, 1, 63, 64),
  fc.integer({ min: -200, max: 100 }),
  fc.integer({ min: -W - 80, max: -W + 80 }),
  fc.integer({ min: -W - 80, max: 100 }),
  fc.constantFrom(LAP, W, 2 * LAP, LAP + 64).chain((jump) => fc.integer({ min: jump - 70, max: jump + 70 })),
);

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 30, arbitrary: offsetArbitrary.map((offset) => ({ kind: 'near', offset }) as const) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.bigInt({ min: 0n, max: 2n ** 20n }),
        fc.bigInt({ min: 2n ** 53n - 20_000n, max: 2n ** 53n + 20_000n }),
        fc.bigInt({ min: LIMIT - 20_000n, max: 2n ** 64n - 1n }),
      )
      .map((to) => ({ kind: 'jump', to }) as const),
  },
);

test('agrees with a set of every accepted counter', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(0n, 2n ** 32n - 5_000n, 2n ** 53n - 10_000n, LIMIT - 30_000n),
      fc.array(stepArbitrary, { minLength: 1, maxLength: 400 }),
      (start, steps) => {
        const filter = new ReplayFilter();
        const model = new NaiveReplayFilter();
        for (const step of steps) {
          const base = model.greatestAccepted < 0n ? start : model.greatestAccepted;
          const counter = step.kind === 'near' ? base + BigInt(step.offset) : step.to;
          assert.equal(filter.validate(counter, LIMIT), model.validate(counter, LIMIT), `counter ${counter}`);
        }
      },
    ),
    { numRuns: 500 },
  );
});
