import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import fc from 'fast-check';
import { IndexTable } from '../../helper/src/engine/index-table.js';

/** A random source that plays back the given numbers in a loop. */
function playback(...numbers: number[]): () => number {
  let next = 0;
  return () => numbers[next++ % numbers.length]!;
}

test('add returns the random index and get finds the value under it', () => {
  const table = new IndexTable<string>(playback(7, 0xffff_ffff, 0));
  assert.equal(table.add('a'), 7);
  assert.equal(table.add('b'), 0xffff_ffff);
  assert.equal(table.add('c'), 0);
  assert.equal(table.get(7), 'a');
  assert.equal(table.get(0xffff_ffff), 'b');
  assert.equal(table.get(0), 'c');
  assert.equal(table.size, 3);
});

test('indices already in use are drawn again, never handed out twice', () => {
  const table = new IndexTable<string>(playback(5, 5, 5, 9, 5, 9, 9, 5, 11));
  assert.equal(table.add('a'), 5);
  assert.equal(table.add('b'), 9);
  assert.equal(table.add('c'), 11);
  assert.deepEqual([table.get(5), table.get(9), table.get(11)], ['a', 'b', 'c']);
});

test('a deleted index is free again, and gone', () => {
  const table = new IndexTable<string>(playback(1, 1, 2));
  assert.equal(table.add('a'), 1);
  table.delete(1);
  assert.equal(table.get(1), undefined);
  assert.equal(table.size, 0);
  assert.equal(table.add('b'), 1);
  assert.equal(table.get(1), 'b');
  table.delete(12345);
  assert.equal(table.size, 1, 'deleting an unknown index changes nothing');
});

test('unknown indices find nothing', () => {
  const table = new IndexTable<string>(playback(3));
  table.add('a');
  for (const index of [0, 2, 4, 0xffff_ffff, -3, 3.5]) assert.equal(table.get(index), undefined, `${index}`);
});

test('replace swaps the value under a live index and refuses an unknown one', () => {
  const table = new IndexTable<string>(playback(42));
  const index = table.add('handshake');
  table.replace(index, 'session');
  assert.equal(table.get(index), 'session');
  assert.equal(table.size, 1);
  assert.throws(() => table.replace(43, 'x'), RangeError);
  assert.equal(table.get(43), undefined);
});

test('random values are taken as unsigned 32-bit numbers', () => {
  const table = new IndexTable<string>(playback(-1, 0x1_0000_0005));
  assert.equal(table.add('a'), 0xffff_ffff);
  assert.equal(table.add('b'), 5);
});

test('a random source stuck on one value is reported, not looped on forever', () => {
  const table = new IndexTable<string>(() => 8);
  table.add('a');
  assert.throws(() => table.add('b'), /random source/);
  assert.equal(table.size, 1);
});

test('a secure random source gives distinct 32-bit indices', () => {
  const table = new IndexTable<number>(() => randomInt(0x1_0000_0000));
  const indices = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const index = table.add(i);
    assert.ok(Number.isInteger(index) && index >= 0 && index <= 0xffff_ffff, `${index}`);
    indices.add(index);
  }
  assert.equal(indices.size, 2000);
  assert.ok(
    [...indices].some((index) => index > 0x7fff_ffff),
    'the high bit is used',
  );
});

test('agrees with a map under adds and deletes with a tiny, repetitive random space', () => {
  const operation = fc.oneof(
    fc.record({ kind: fc.constant('add' as const) }),
    fc.record({ kind: fc.constant('delete' as const), index: fc.integer({ min: 0, max: 15 }) }),
  );
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 50 }),
      fc.array(operation, { maxLength: 200 }),
      (draws, operations) => {
        let draw = 0;
        // Replays the draws, shifted by one on each pass, so that values repeat often yet
        // every one of the 16 comes up within 16 passes (800 draws, under add's limit).
        const random32 = () => (draws[draw % draws.length]! + Math.floor(draw++ / draws.length)) % 16;
        const table = new IndexTable<number>(random32);
        const model = new Map<number, number>();
        operations.forEach((op, serial) => {
          if (op.kind === 'add') {
            if (model.size >= 15) return;
            const index = table.add(serial);
            assert.ok(!model.has(index), `index ${index} handed out while live`);
            model.set(index, serial);
          } else {
            table.delete(op.index);
            model.delete(op.index);
          }
          assert.equal(table.size, model.size);
          for (let index = 0; index < 16; index++) assert.equal(table.get(index), model.get(index));
        });
      },
    ),
  );
});
