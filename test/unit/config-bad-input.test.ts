// Hostile input: random bytes, random text, huge files, very long lines, NUL bytes.
// Always a clear error (or a config), never a throw, never a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CONFIG_ERROR_CODES,
  MAX_CONFIG_BYTES,
  MAX_REPORTED_ERRORS,
  checkConfig,
  checkConfigBytes,
  formatDiagnostic,
  parseConfig,
  parseConfigBytes,
  serializeConfig,
  stripConfig,
} from '../../helper/src/config/index.js';
import type { ParseResult } from '../../helper/src/config/index.js';

function assertWellFormed(result: ParseResult): void {
  if (result.ok) return;
  assert.ok(result.errors.length > 0);
  for (const error of result.errors) {
    assert.ok((CONFIG_ERROR_CODES as readonly string[]).includes(error.code), error.code);
    assert.ok(formatDiagnostic(error).length < 400, 'messages stay readable');
  }
}

function timed<T>(limitMs: number, run: () => T): T {
  const start = performance.now();
  const result = run();
  const elapsed = performance.now() - start;
  assert.ok(elapsed < limitMs, `took ${elapsed.toFixed(0)} ms`);
  return result;
}

test('random bytes: a result, never a throw', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => assertWellFormed(parseConfigBytes(bytes))), { numRuns: 500 });
});

test('random text, including control characters and lone surrogates: a result, never a throw', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (text) => {
    assertWellFormed(parseConfig(text));
    stripConfig(text);
    checkConfig(text);
  }), { numRuns: 500 });
});

const PEER = 'W2tOgLHLc+db3rctSa5d5tQLNwSutJnBLd2t4Z/QaBs=';
const token = fc.constantFrom(
  '[Interface]', '[Peer]', '[interface', 'PrivateKey = SKop/2PZ6wWCzpZTnragzdDFnmArRRWCjKeC5mtbnG8=', `PublicKey = ${PEER}`,
  'AllowedIPs = 10.0.0.0/8, ::/0', 'AllowedIPs = 10.0.0.1/33', 'Endpoint = h.example:1', 'Endpoint = [::1]:0', 'ListenPort = 7',
  'MTU = 1', 'DNS = 1.1.1.1, x', 'Table = off', 'PostUp = a # b', '# comment', '', '=', 'Key', ' = value', 'SaveConfig = maybe',
);

test('random arrangements of config lines: every accepted file round-trips through the serializer', () => {
  fc.assert(
    fc.property(fc.array(token, { maxLength: 30 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
      const result = parseConfig(lines.join(eol));
      assertWellFormed(result);
      if (!result.ok) return;
      const again = parseConfig(serializeConfig(result.config));
      assert.ok(again.ok);
      assert.deepEqual(again.config, result.config);
    }),
    { numRuns: 1000 },
  );
});

test('a file over the size limit is refused before it is decoded or parsed', () => {
  const result = timed(1000, () => parseConfigBytes(new Uint8Array(MAX_CONFIG_BYTES + 1).fill(0x41)));
  assert.ok(!result.ok);
  assert.equal(result.errors[0]!.code, 'file-too-large');
  assert.match(result.errors[0]!.message, /1 MiB/);
  const text = timed(1000, () => parseConfig('é'.repeat(MAX_CONFIG_BYTES / 2 + 1)));
  assert.ok(!text.ok && text.errors[0]!.code === 'file-too-large', 'the limit counts UTF-8 bytes, not characters');
});

test('a file just under the limit with thousands of peers parses and lints quickly', () => {
  const peers: string[] = [];
  for (let i = 0; peers.join('').length < MAX_CONFIG_BYTES - 200; i++) {
    const key = Buffer.alloc(32, 0);
    key.writeUInt32BE(i + 1);
    peers.push(`[Peer]\nPublicKey = ${key.toString('base64')}\nAllowedIPs = 10.${(i >> 8) & 255}.${i & 255}.0/24\n`);
  }
  peers.pop();
  const checked = timed(10000, () => checkConfig(`[Interface]\nListenPort = 1\n${peers.join('')}`));
  assert.deepEqual(checked.errors, []);
  assert.equal(checked.config?.peers.length, peers.length);
});

test('a very long line: a valid one parses, a garbage one gets one short error', () => {
  const many = Array.from({ length: 40000 }, (_, i) => `10.${i >> 8 & 255}.${i & 255}.1/32`).join(', ');
  const ok = timed(5000, () => parseConfig(`[Interface]\n[Peer]\nPublicKey = ${PEER}\nAllowedIPs = ${many}\n`));
  assert.ok(ok.ok);
  assert.equal(ok.config.peers[0]!.allowedIps.length, 40000);
  const garbage = timed(5000, () => parseConfig(`[Interface]\n${'x'.repeat(900000)}\n`));
  assert.ok(!garbage.ok);
  assert.equal(garbage.errors.length, 1);
  assert.equal(garbage.errors[0]!.code, 'expected-key-value');
  assert.ok(garbage.errors[0]!.message.length < 200);
});

test('NUL bytes: refused as binary, naming the line', () => {
  const result = parseConfigBytes(new TextEncoder().encode('[Interface]\nListenPort = 1\0\n'));
  assert.ok(!result.ok);
  assert.equal(result.errors[0]!.code, 'nul-byte');
  assert.match(result.errors[0]!.message, /line 2/);
});

test('text that is not UTF-8 is refused', () => {
  const result = checkConfigBytes(new Uint8Array([0x5b, 0xff, 0xfe, 0x5d]));
  assert.equal(result.errors[0]?.code, 'not-utf8');
});

test('a file of nothing but errors stops after the reporting limit, and says so', () => {
  const result = timed(2000, () => parseConfig('nonsense\n'.repeat(50000)));
  assert.ok(!result.ok);
  assert.equal(result.errors.length, MAX_REPORTED_ERRORS + 1);
  assert.equal(result.errors[MAX_REPORTED_ERRORS]!.code, 'too-many-errors');
});
