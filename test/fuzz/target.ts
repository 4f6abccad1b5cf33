// What a fuzz target is: a generator of inputs, a check of properties on each
// input, and the properties of a whole run. The harness (harness.ts) runs a
// target in a worker thread; the unit test and `npm run fuzz` only differ in
// how many inputs they ask for.
import type { Random } from './random.js';

/** Valid inputs are correct by construction; mutated ones are valid inputs edited in a few places. */
export type InputKind = 'valid' | 'mutated';

export interface FuzzInput {
  readonly kind: InputKind;
}

export interface Outcome {
  /** What the code under test made of the input, e.g. 'parsed' or 'refused'. */
  readonly result: string;
  /** The paths it took (error codes, drop reasons, errnos), counted over the run. */
  readonly tags?: readonly string[];
}

export interface FuzzTarget<I extends FuzzInput = FuzzInput> {
  /** Builds an input from its own random stream, the same for the same stream whatever ran before. */
  generate(random: Random, index: number): I;
  /** Checks every property on one input; throws (an AssertionError) when one does not hold. */
  check(input: I): Outcome | Promise<Outcome>;
  /** The input as text for a failure report. */
  describe(input: I): string;
}

/** Counts over a run; plain data, so that it crosses from the worker as it is. */
export interface RunStats {
  inputs: number;
  readonly kinds: Record<InputKind, number>;
  /** By `${kind} ${result}`. */
  readonly results: Record<string, number>;
  readonly tags: Record<string, number>;
}

export interface FuzzTargetModule {
  readonly name: string;
  /** What is fuzzed, for reports. */
  readonly title: string;
  create(): FuzzTarget;
  /** Properties of a whole run: that valid inputs did what valid inputs do, and that the deep paths were reached. */
  checkRun(stats: RunStats): void;
}

export function emptyStats(): RunStats {
  return { inputs: 0, kinds: { valid: 0, mutated: 0 }, results: {}, tags: {} };
}

export function recordOutcome(stats: RunStats, kind: InputKind, outcome: Outcome): void {
  const key = `${kind} ${outcome.result}`;
  stats.inputs++;
  stats.kinds[kind]++;
  stats.results[key] = (stats.results[key] ?? 0) + 1;
  for (const tag of outcome.tags ?? []) stats.tags[tag] = (stats.tags[tag] ?? 0) + 1;
}

/** Below this many inputs a run's shares say little: a replay of one input checks that input only. */
export const ENOUGH_FOR_SHARES = 1_000;
/** From this many inputs on, a run must have reached every path its target expects. */
export const ENOUGH_FOR_REACH = 10_000;

/** How many inputs of `kind` ended in `result`. */
export function countOf(stats: RunStats, kind: InputKind, result: string): number {
  return stats.results[`${kind} ${result}`] ?? 0;
}

/** The tags a run was expected to produce but did not. */
export function missingTags(stats: RunStats, expected: readonly string[]): string[] {
  return expected.filter((tag) => !stats.tags[tag]);
}
