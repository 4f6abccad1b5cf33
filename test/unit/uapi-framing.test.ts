import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EINVAL, EIO } from '../../helper/src/uapi/errno.js';
import { UAPI_MAX_LINE_BYTES, UapiRequestReader, type UapiOperation } from '../../helper/src/uapi/framing.js';

const encode = (text: string) => new TextEncoder().encode(text);

type Grouped = UapiOperation | { readonly kind: 'set'; readonly lines: readonly string[]; readonly ended: boolean };

/** A set request's begin, lines and end as one entry, for reading the expectations at a glance. */
function grouped(operations: readonly UapiOperation[]): Grouped[] {
  const result: Grouped[] = [];
  let set: { kind: 'set'; lines: string[]; ended: boolean } | undefined;
  for (const operation of operations) {
    if (operation.kind === 'set-begin') result.push((set = { kind: 'set', lines: [], ended: false }));
    else if (operation.kind === 'set-line') set!.lines.push(operation.line);
    else if (operation.kind === 'set-end') set!.ended = true;
    else result.push(operation);
  }
  return result;
}

function readAll(text: string, chunkSize = Infinity): Grouped[] {
  const reader = new UapiRequestReader();
  const bytes = encode(text);
  const operations: UapiOperation[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) {
    operations.push(...reader.push(bytes.subarray(i, Math.min(bytes.length, i + chunkSize))));
  }
  return grouped([...operations, ...reader.end()]);
}

/** Operations with errors reduced to their errno, for comparing. */
function summary(operations: readonly Grouped[]): unknown[] {
  return operations.map((operation) => {
    switch (operation.kind) {
      case 'reject':
        return { kind: 'reject', errno: operation.error.errno };
      case 'close':
        return { kind: 'close', errno: operation.error?.errno };
      default:
        return operation;
    }
  });
}

test('get and set operations, several on one connection', () => {
  const text = 'get=1\n\nset=1\nlisten_port=1\npublic_key=ab\n\nget=1\n\nset=1\n\n';
  assert.deepEqual(readAll(text), [
    { kind: 'get' },
    { kind: 'set', lines: ['listen_port=1', 'public_key=ab'], ended: true },
    { kind: 'get' },
    { kind: 'set', lines: [], ended: true },
  ]);
});

test('the same operations however the stream is cut', () => {
  const text = 'set=1\nlisten_port=51820\nfwmark=7\n\nget=1\n\nset=1\nreplace_peers=true\n\n';
  const whole = readAll(text);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: text.length }), (chunkSize) => {
      assert.deepEqual(readAll(text, chunkSize), whole);
    }),
  );
});

test("a get is answered once its blank line arrives; a set request's lines come out as they arrive", () => {
  const reader = new UapiRequestReader();
  assert.deepEqual(reader.push(encode('get=1\n')), []);
  assert.deepEqual(reader.push(encode('\nset=1\nfwmark=1\nlisten_')), [
    { kind: 'get' },
    { kind: 'set-begin' },
    { kind: 'set-line', line: 'fwmark=1' },
  ]);
  assert.deepEqual(reader.push(encode('port=2\n')), [{ kind: 'set-line', line: 'listen_port=2' }]);
  assert.deepEqual(reader.push(encode('\n')), [{ kind: 'set-end' }]);
});

test('get=1 followed by anything but a blank line is refused and reading goes on', () => {
  assert.deepEqual(summary(readAll('get=1\nx\nget=1\n\n')), [{ kind: 'reject', errno: EINVAL }, { kind: 'get' }]);
});

test('an unknown operation closes the connection without an answer, as wireguard-go does', () => {
  for (const text of ['hello\nget=1\n\n', '\nget=1\n\n', 'get=2\n\n', 'GET=1\n\n', 'get=1\r\n\r\n', 'set=1 \n\n']) {
    assert.deepEqual(summary(readAll(text)), [{ kind: 'close', errno: undefined }], JSON.stringify(text));
  }
});

test('nothing is read after the connection is closed', () => {
  const reader = new UapiRequestReader();
  reader.push(encode('nonsense\n'));
  assert.equal(reader.closed, true);
  assert.deepEqual(reader.push(encode('get=1\n\n')), []);
  assert.deepEqual(reader.end(), []);
});

test('a set request cut short by the end of the stream counts, as wireguard-go counts it', () => {
  assert.deepEqual(readAll('set=1\nlisten_port=1\nfwmark=2'), [
    { kind: 'set', lines: ['listen_port=1', 'fwmark=2'], ended: true },
  ]);
  assert.deepEqual(readAll('set=1\nlisten_port=1\n'), [{ kind: 'set', lines: ['listen_port=1'], ended: true }]);
});

test('a get cut short by the end of the stream is dropped', () => {
  assert.deepEqual(readAll('get=1\n'), []);
  assert.deepEqual(readAll('get=1'), []);
});

test('a line at the limit is read; one byte more closes the connection', () => {
  const longest = `listen_port=${'0'.repeat(UAPI_MAX_LINE_BYTES - 'listen_port='.length)}`;
  assert.deepEqual(readAll(`set=1\n${longest}\n\n`), [{ kind: 'set', lines: [longest], ended: true }]);
  assert.deepEqual(summary(readAll(`set=1\n${longest}0\n\n`)), [
    { kind: 'set', lines: [], ended: false },
    { kind: 'close', errno: EIO },
  ]);
});

test('an endless line is refused as soon as it passes the limit, without waiting for its end', () => {
  const reader = new UapiRequestReader();
  const chunk = new Uint8Array(1000).fill(0x61);
  const operations: UapiOperation[] = [];
  for (let i = 0; i < 10 && !reader.closed; i++) operations.push(...reader.push(chunk));
  assert.deepEqual(summary(grouped(operations)), [{ kind: 'close', errno: undefined }]);
  assert.equal(reader.closed, true);
});

test('a set request of any size streams through, a line at a time, holding no more than a line', () => {
  const reader = new UapiRequestReader();
  assert.deepEqual(reader.push(encode('set=1\n')), [{ kind: 'set-begin' }]);
  const chunk = encode(`allowed_ip=10.0.0.0/8\n`.repeat(2_000));
  let lines = 0;
  // 256 MB in all, far more than any request was allowed to hold before.
  for (let sent = 0; sent < 256e6; sent += chunk.length) {
    for (const operation of reader.push(chunk)) {
      assert.equal(operation.kind, 'set-line');
      lines++;
    }
  }
  assert.deepEqual(reader.push(encode('\n')), [{ kind: 'set-end' }]);
  assert.equal(lines, Math.ceil(256e6 / chunk.length) * 2_000);
});

test('bytes that are not UTF-8 reach the parser as replacement characters', () => {
  const reader = new UapiRequestReader();
  const operations = reader.push(new Uint8Array([...encode('set=1\nfwmark='), 0xff, 0x0a, 0x0a]));
  assert.deepEqual(grouped(operations), [{ kind: 'set', lines: ['fwmark=\ufffd'], ended: true }]);
});

test('arbitrary bytes never throw', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
      const reader = new UapiRequestReader();
      for (const chunk of chunks) reader.push(chunk);
      reader.end();
    }),
  );
});
