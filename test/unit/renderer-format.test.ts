import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatRate } from '../../renderer/src/format/bytes.js';
import { formatDuration, formatHandshakeAge } from '../../renderer/src/format/handshake.js';

test('handshake ages read as wg words them', () => {
  const now = 1_700_000_000_000;
  assert.equal(formatHandshakeAge(now - 72_000, now), '1 minute, 12 seconds ago');
  assert.equal(formatHandshakeAge(now - 1_000, now), '1 second ago');
  assert.equal(formatHandshakeAge(now - 2 * 3_600_000 - 5_000, now), '2 hours, 5 seconds ago');
  assert.equal(formatHandshakeAge(now - 86_400_000 - 60_000, now), '1 day, 1 minute ago');
  assert.equal(formatHandshakeAge(undefined, now), 'Never');
});

test('a handshake in the last second, or in the future of a wound-back clock, is just now', () => {
  assert.equal(formatHandshakeAge(1000, 1500), 'Just now');
  assert.equal(formatHandshakeAge(5000, 1000), 'Just now');
});

test('durations drop zero parts and fractions', () => {
  assert.equal(formatDuration(3600), '1 hour');
  assert.equal(formatDuration(61.9), '1 minute, 1 second');
  assert.equal(formatDuration(0), '');
});

test('bytes are shown in binary units with two decimals past the first', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1024), '1.00 KiB');
  assert.equal(formatBytes(1536 * 1024), '1.50 MiB');
  assert.equal(formatBytes(5 * 1024 ** 3), '5.00 GiB');
  assert.equal(formatBytes(1024 ** 6 * 3), '3072.00 PiB');
  assert.equal(formatRate(2048), '2.00 KiB/s');
});
