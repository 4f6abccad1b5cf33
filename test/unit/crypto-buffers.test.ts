import { test } from 'node:test';
import assert from 'node:assert/strict';
import { offHeapArray, offHeapBuffer } from '../../helper/src/crypto/off-heap.js';
import { fillSecretRandom } from '../../helper/src/crypto/secret-random.js';

test('off-heap buffers are zeroed, outside V8 heap sized arrays, and never overlap, across many slabs', () => {
  const buffers: Uint8Array[] = [];
  // 400 buffers of 1..64 bytes cross a dozen 1 KB slabs, each slab switch at a different fill level.
  for (let i = 0; i < 400; i++) {
    const length = 1 + ((i * 37) % 64);
    const buffer = i % 2 ? offHeapBuffer(length) : offHeapArray(length);
    assert.equal(buffer.length, length);
    assert.ok(
      buffer.every((byte) => byte === 0),
      `buffer ${i} starts zeroed`,
    );
    buffers.push(buffer);
  }
  buffers.forEach((buffer, i) => buffer.fill((i % 255) + 1));
  buffers.forEach((buffer, i) =>
    assert.ok(
      buffer.every((byte) => byte === (i % 255) + 1),
      `buffer ${i} was overwritten`,
    ),
  );
});

test('off-heap buffers larger than V8 keeps on its heap are plain allocations', () => {
  const large = offHeapBuffer(65);
  assert.equal(large.length, 65);
  assert.equal(large.byteOffset, 0);
  assert.equal(large.buffer.byteLength, 65);
});

test('secret random bytes differ call to call, also across pool refills', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const key = new Uint8Array(32 + (i % 7));
    fillSecretRandom(key);
    const text = Buffer.from(key).toString('hex');
    assert.ok(!seen.has(text), 'no repeated output');
    assert.ok(key.some((byte) => byte !== 0));
    seen.add(text);
  }
  assert.throws(() => fillSecretRandom(new Uint8Array(1025)), RangeError);
});
