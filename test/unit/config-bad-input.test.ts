// Hostile input at the limits: huge files, very long lines, NUL bytes, text that
// is not UTF-8, files of nothing but errors. Always a clear error (or a config),
// never a hang. Generated documents, valid and mutated, are fuzzed in
// test/fuzz/config-target.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_CONFIG_BYTES,
  MAX_REPORTED_ERRORS,
  checkConfig,
  checkConfigBytes,
  parseConfig,
  parseConfigBytes,
  stripConfig,
} from '../../helper/src/config/index.js';
import { withinCpuTime } from './support/cpu-time.js';

const PEER = 'W2tOgLHLc+db3rctSa5d5tQLNwSutJnBLd2t4Z/QaBs=';

test('a file over the size limit is refused before it is decoded or parsed', () => {
  const result = withinCpuTime(1000, () => parseConfigBytes(new Uint8Array(MAX_CONFIG_BYTES + 1).fill(0x41)));
  assert.ok(!result.ok);
  assert.equal(result.errors[0]!.code, 'file-too-large');
  assert.match(result.errors[0]!.message, /1 MiB/);
  const text = withinCpuTime(1000, () => parseConfig('é'.repeat(MAX_CONFIG_BYTES / 2 + 1)));
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
  const checked = withinCpuTime(10000, () => checkConfig(`[Interface]\nListenPort = 1\n${peers.join('')}`));
  assert.deepEqual(checked.errors, []);
  assert.equal(checked.config?.peers.length, peers.length);
});

test('a very long line: a valid one parses, a garbage one gets one short error', () => {
  const many = Array.from({ length: 40000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1/32`).join(', ');
  const ok = withinCpuTime(5000, () => parseConfig(`[Interface]\n[Peer]\nPublicKey = ${PEER}\nAllowedIPs = ${many}\n`));
  assert.ok(ok.ok);
  assert.equal(ok.config.peers[0]!.allowedIps.length, 40000);
  const garbage = withinCpuTime(5000, () => parseConfig(`[Interface]\n${'x'.repeat(900000)}\n`));
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
  const result = withinCpuTime(2000, () => parseConfig('nonsense\n'.repeat(50000)));
  assert.ok(!result.ok);
  assert.equal(result.errors.length, MAX_REPORTED_ERRORS + 1);
  assert.equal(result.errors[MAX_REPORTED_ERRORS]!.code, 'too-many-errors');
});

test('fuzz finding: strip keeps lines with long runs of spaces and tabs inside them, in linear time (it took minutes)', () => {
  const spaces = ' '.repeat(300_000);
  const tabs = '\t'.repeat(300_000);
  const result = withinCpuTime(5000, () => stripConfig(`[Interface]${spaces}\r\n# ${tabs}x\nPostUp = a${spaces}b\n`));
  assert.ok(result.ok);
  assert.equal(result.text, `[Interface]${spaces}\r\n# ${tabs}x\n\n`);
});
