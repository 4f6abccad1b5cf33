import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes } from '../../renderer/src/format/bytes.js';
import { formatRate, rateAxis } from '../../renderer/src/format/rate.js';
import { plainFailure } from '../../renderer/src/actions/failure-words.js';
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
});

test('rates read in bits (decimal) or bytes (binary) per second', () => {
  assert.equal(formatRate(0, 'bits'), '0 bit/s');
  assert.equal(formatRate(125_000, 'bits'), '1 Mbit/s');
  assert.equal(formatRate(1_550_000, 'bits'), '12.4 Mbit/s');
  assert.equal(formatRate(2048, 'bytes'), '2 KiB/s');
  assert.equal(formatRate(8.15 * 1024 * 1024, 'bytes'), '8.15 MiB/s');
  assert.equal(formatRate(500 * 1024 * 1024, 'bytes'), '500 MiB/s');
});

test('the rate axis has round ticks of one unit that cover the peak', () => {
  const mib = 1024 * 1024;
  const bytes = rateAxis(19.07 * mib, 'bytes');
  assert.deepEqual(bytes.labels, ['0 MiB/s', '5 MiB/s', '10 MiB/s', '15 MiB/s', '20 MiB/s']);
  assert.equal(bytes.max, 20 * mib);
  assert.deepEqual(bytes.ticks, [0, 5 * mib, 10 * mib, 15 * mib, 20 * mib]);
  const bits = rateAxis(12_400_000 / 8, 'bits');
  assert.deepEqual(bits.labels, ['0 Mbit/s', '5 Mbit/s', '10 Mbit/s', '15 Mbit/s']);
  assert.deepEqual(rateAxis(0, 'bits').labels.at(-1), '1 kbit/s', 'an idle tunnel still gets a scale');
  for (const peak of [1, 333, 9_999, 123_456, 7.7 * mib, 3e9]) {
    for (const unit of ['bits', 'bytes'] as const) {
      const axis = rateAxis(peak, unit);
      assert.ok(axis.max >= peak, `${peak} ${unit} fits under ${axis.max}`);
      assert.ok(axis.ticks.length >= 2 && axis.ticks.length <= 9, `${axis.labels.join(', ')}`);
      for (const label of axis.labels) assert.match(label, /^\d+(\.(5|25|75))? \S+\/s$/, label);
    }
  }
});

test('failures read in plain words, each with what to do', () => {
  const cases: [string, RegExp][] = [
    [
      'tunnel home could not come up: /etc/resolv.conf already holds DNS written by Wirefly for another tunnel',
      /already sets this computer’s DNS/,
    ],
    [
      '`ip -4 route add 10.78.0.0/24 dev home-2 table main` failed (exit code 2): RTNETLINK answers: File exists',
      /already routed elsewhere/,
    ],
    ['cannot listen on port 51999: binding UDP port 51999 (IPv4): Address already in use', /listen port is taken/],
    ['the helper is not running', /helper is not running/],
    ['getaddrinfo ENOTFOUND vpn.example.com', /could not be looked up/],
  ];
  for (const [detail, summary] of cases) {
    const plain = plainFailure(detail);
    assert.match(plain.summary, summary, detail);
    assert.ok(plain.advice.length > 0);
  }
  assert.equal(plainFailure('something nobody foresaw').summary, 'The tunnel could not be switched.');
});
