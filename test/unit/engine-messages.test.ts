import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readCounter, TRANSPORT, TRANSPORT_HEADER_SIZE, writeCounter } from '../../helper/src/engine/messages.js';

test('transport counters are 64-bit little-endian at their offset, across the 32-bit boundary', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (counter) => {
      const header = new Uint8Array(TRANSPORT_HEADER_SIZE);
      writeCounter(header, counter);
      assert.equal(new DataView(header.buffer).getBigUint64(TRANSPORT.counter, true), counter);
      assert.equal(readCounter(header), counter);
      assert.ok(header.subarray(0, TRANSPORT.counter).every((byte) => byte === 0));
    }),
  );
});
