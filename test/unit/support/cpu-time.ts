import assert from 'node:assert/strict';

function assertCpuSince(start: NodeJS.CpuUsage, limitMs: number): void {
  const { user, system } = process.cpuUsage(start);
  const elapsed = (user + system) / 1000;
  assert.ok(elapsed < limitMs, `took ${elapsed.toFixed(0)} ms of CPU`);
}

/**
 * Runs `run` within `limitMs` of this process's CPU time: far above what the
 * work needs, but not what an algorithm quadratic in its input takes. CPU
 * time, not wall time, so that other work on a shared machine does not count.
 */
export function withinCpuTime<T>(limitMs: number, run: () => T): T {
  const start = process.cpuUsage();
  const result = run();
  assertCpuSince(start, limitMs);
  return result;
}

/** The same for work that awaits. */
export async function withinCpuTimeAsync<T>(limitMs: number, run: () => Promise<T>): Promise<T> {
  const start = process.cpuUsage();
  const result = await run();
  assertCpuSince(start, limitMs);
  return result;
}
