import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../helper/src/service/journal.js';

interface Step {
  readonly n: number;
}

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function recorder(failOn: ReadonlySet<number> = new Set()) {
  const performed: number[] = [];
  const perform = async (step: unknown) => {
    const n = (step as Step).n;
    if (failOn.has(n)) throw new Error(`step ${n} failed`);
    performed.push(n);
  };
  return { performed, perform };
}

const journalFiles = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.journal'));

test('each record is on disk before record() resolves, one JSON line per step', async (t) => {
  const dir = scratch(t);
  const journal = await Journal.open(dir, recorder().perform);
  const set = await journal.begin('wg0');
  await set.record({ n: 1 });
  await set.record({ n: 2 });
  const [file] = journalFiles(dir);
  assert.ok(file?.endsWith('-wg0.journal'));
  assert.equal(readFileSync(join(dir, file!), 'utf8'), '{"n":1}\n{"n":2}\n');
});

test('undo performs the steps newest first, then removes the record', async (t) => {
  const dir = scratch(t);
  const { performed, perform } = recorder();
  const journal = await Journal.open(dir, perform);
  const set = await journal.begin('wg0');
  for (const n of [1, 2, 3]) await set.record({ n });
  await set.undo();
  assert.deepEqual(performed, [3, 2, 1]);
  assert.deepEqual(journalFiles(dir), []);
  await assert.rejects(set.record({ n: 4 }), /already undone/);
});

test('a failing step does not stop the others; the record stays for a retry', async (t) => {
  const dir = scratch(t);
  const failing = new Set([2]);
  const { performed, perform } = recorder(failing);
  const journal = await Journal.open(dir, perform);
  const set = await journal.begin('wg0');
  for (const n of [1, 2, 3]) await set.record({ n });
  await assert.rejects(set.undo(), AggregateError);
  assert.deepEqual(performed, [3, 1]);
  assert.equal(journalFiles(dir).length, 1);
  failing.clear();
  await set.undo();
  assert.deepEqual(performed, [3, 1, 3, 2, 1]);
  assert.deepEqual(journalFiles(dir), []);
});

test('recover() undoes what a crashed helper left, newest change set first, and skips its own', async (t) => {
  const dir = scratch(t);
  const crashed = await Journal.open(dir, recorder().perform);
  const older = await crashed.begin('wg0');
  await older.record({ n: 1 });
  await older.record({ n: 2 });
  await new Promise((resolve) => setTimeout(resolve, 5));
  const newer = await crashed.begin('wg1');
  await newer.record({ n: 10 });
  // The crashed helper's objects are dropped: only the files remain.

  const { performed, perform } = recorder();
  const restarted = await Journal.open(dir, perform);
  const mine = await restarted.begin('wg2');
  await mine.record({ n: 99 });
  const report = await restarted.recover();
  assert.deepEqual(performed, [10, 2, 1]);
  assert.deepEqual(report, { recovered: ['wg1', 'wg0'], steps: 3 });
  assert.equal(journalFiles(dir).length, 1, 'the live change set is left alone');
  assert.deepEqual(await restarted.recover(), { recovered: [], steps: 0 });
});

test('a torn last line (killed mid-append) is ignored: its change never started', async (t) => {
  const dir = scratch(t);
  const crashed = await Journal.open(dir, recorder().perform);
  const set = await crashed.begin('wg0');
  await set.record({ n: 1 });
  appendFileSync(set.path, '{"n":2');
  const { performed, perform } = recorder();
  await (await Journal.open(dir, perform)).recover();
  assert.deepEqual(performed, [1]);
  assert.deepEqual(journalFiles(dir), []);
});

test('a corrupt line before the end is refused and the file kept; other change sets are still recovered', async (t) => {
  const dir = scratch(t);
  const crashed = await Journal.open(dir, recorder().perform);
  const good = await crashed.begin('good');
  await good.record({ n: 1 });
  const bad = await crashed.begin('bad');
  writeFileSync(bad.path, 'garbage\n{"n":5}\n');
  const { performed, perform } = recorder();
  const restarted = await Journal.open(dir, perform);
  await assert.rejects(
    restarted.recover(),
    (error: unknown) => error instanceof AggregateError && /recovery/.test(error.message),
  );
  assert.deepEqual(performed, [1]);
  assert.equal(journalFiles(dir).length, 1);
  assert.ok(journalFiles(dir)[0]?.endsWith('-bad.journal'));
});

test('labels that are not file-name safe are made safe', async (t) => {
  const dir = scratch(t);
  const journal = await Journal.open(dir, recorder().perform);
  const set = await journal.begin('../../etc/x y');
  assert.equal(journalFiles(dir).length, 1);
  assert.ok(!set.path.slice(dir.length + 1).includes('/'));
});

test('a retired step is undone neither by its set nor by recovery; only a step recorded in the set can be retired', async (t) => {
  const dir = scratch(t);
  const live = recorder();
  const journal = await Journal.open(dir, live.perform);
  const set = await journal.begin('wg0');
  const first = { n: 1 };
  const second = { n: 2 };
  await set.record(first);
  await set.record(second);
  await set.retire(first);
  await set.record({ n: 3 });
  assert.deepEqual(set.recordedSteps, [second, { n: 3 }]);
  await assert.rejects(set.retire(first), /no such step/);
  await assert.rejects(set.retire({ n: 2 }), /no such step/, 'an equal object is not the step recorded');
  await assert.rejects(set.record([1]), /not an array/);
  // As a crash leaves it: recovery reads the retirement back from the file.
  const { performed, perform } = recorder();
  assert.deepEqual(await (await Journal.open(dir, perform)).recover(), { recovered: ['wg0'], steps: 2 });
  assert.deepEqual(performed, [3, 2]);

  const other = await journal.begin('wg1');
  await other.record(first);
  await other.record(second);
  await other.retire(second);
  await other.undo();
  assert.deepEqual(live.performed, [1]);
});

test('a retirement that names no earlier step makes the file untrusted; a torn one is dropped', async (t) => {
  const dir = scratch(t);
  const crashed = await Journal.open(dir, recorder().perform);
  const forged = await crashed.begin('forged');
  writeFileSync(forged.path, '{"n":1}\n["retired",1]\n{"n":2}\n');
  const torn = await crashed.begin('torn');
  writeFileSync(torn.path, '{"n":3}\n["retired",');
  const { performed, perform } = recorder();
  await assert.rejects((await Journal.open(dir, perform)).recover(), /recovery/);
  assert.deepEqual(performed, [3]);
  assert.equal(journalFiles(dir).length, 1);
  assert.ok(journalFiles(dir)[0]?.endsWith('-forged.journal'));
});
