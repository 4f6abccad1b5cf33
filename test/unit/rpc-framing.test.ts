import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeMessage, MessageReader, type Frame } from '../../helper/src/rpc/index.js';

const bytes = (text: string) => new TextEncoder().encode(text);

function values(frames: Frame[]): unknown[] {
  return frames.map((frame) => (frame.kind === 'message' ? frame.value : frame.error.code));
}

test('messages split anywhere across chunks come out whole and in order', () => {
  const messages = [{ a: 1 }, { b: 'two\nlines' }, { c: [3] }];
  const stream = bytes(messages.map(encodeMessage).join(''));
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 10 }), (cuts) => {
      const reader = new MessageReader();
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const frames: Frame[] = [];
      let start = 0;
      for (const point of [...points, stream.length]) {
        frames.push(...reader.push(stream.subarray(start, point)));
        start = point;
      }
      assert.deepEqual(values(frames), messages);
    }),
  );
});

test('blank lines and CRLF endings are accepted', () => {
  const reader = new MessageReader();
  assert.deepEqual(values(reader.push(bytes('\n\r\n{"x":1}\r\n\n'))), [{ x: 1 }]);
});

test('non-JSON and non-UTF-8 lines are errors, and the next line still reads', () => {
  const reader = new MessageReader();
  const frames = reader.push(new Uint8Array([...bytes('not json\n'), 0xff, 0xfe, 0x0a, ...bytes('{"ok":true}\n')]));
  assert.deepEqual(values(frames), ['bad-message', 'bad-message', { ok: true }]);
});

test('an oversized line is reported once, never buffered, and the stream recovers after its newline', () => {
  const limit = 1024;
  const reader = new MessageReader(limit);
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const frames: Frame[] = [];
  // 100 MB in 64 KiB chunks without a newline.
  for (let sent = 0; sent < 100 * 1024 * 1024; sent += chunk.length) {
    frames.push(...reader.push(chunk));
    assert.ok(reader.buffered <= limit, `buffered ${reader.buffered}`);
  }
  frames.push(...reader.push(bytes(`tail\n${JSON.stringify({ after: true })}\n`)));
  assert.deepEqual(values(frames), ['message-too-large', { after: true }]);
});

test('a line of exactly the limit is read; one byte more is refused', () => {
  const limit = 32;
  const exact = JSON.stringify({ s: 'x'.repeat(limit - 8) });
  assert.equal(exact.length, limit);
  assert.deepEqual(values(new MessageReader(limit).push(bytes(`${exact}\n`))), [{ s: 'x'.repeat(limit - 8) }]);
  const over = JSON.stringify({ s: 'x'.repeat(limit - 7) });
  assert.deepEqual(values(new MessageReader(limit).push(bytes(`${over}\n`))), ['message-too-large']);
});
