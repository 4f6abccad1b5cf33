import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IpAddress } from '../../helper/src/net/ip.js';
import { parseIpAddress } from '../../helper/src/net/ip.js';
import {
  PACKETS_BURSTABLE,
  PACKETS_PER_SECOND,
  RATELIMITER_IDLE_TIMEOUT,
  RATELIMITER_MAX_ENTRIES,
  RateLimiter,
} from '../../helper/src/engine/ratelimiter.js';

function ip(text: string): IpAddress {
  const address = parseIpAddress(text);
  assert.ok(address, text);
  return address;
}

/** How many of `count` messages from `source` at time `now` are allowed. */
function allowedOf(limiter: RateLimiter, source: IpAddress, now: number, count: number): number {
  let allowed = 0;
  for (let i = 0; i < count; i++) if (limiter.allow(source, now)) allowed++;
  return allowed;
}

test('the limits are those of WireGuard', () => {
  assert.equal(PACKETS_PER_SECOND, 20);
  assert.equal(PACKETS_BURSTABLE, 5);
});

test('a burst of five passes, the sixth is refused', () => {
  const limiter = new RateLimiter();
  const source = ip('192.0.2.1');
  for (let i = 0; i < PACKETS_BURSTABLE; i++) assert.ok(limiter.allow(source, 1000), `packet ${i + 1}`);
  assert.equal(limiter.allow(source, 1000), false);
  assert.equal(limiter.allow(source, 1049), false, 'not yet a whole token');
  assert.ok(limiter.allow(source, 1050), 'one token after 1/20 s');
  assert.equal(limiter.allow(source, 1050), false);
});

test('sustained traffic gets exactly 20 per second', () => {
  const limiter = new RateLimiter();
  const source = ip('192.0.2.1');
  assert.equal(allowedOf(limiter, source, 0, 10), 5);
  let allowed = 0;
  for (let now = 10; now <= 10_000; now += 10) if (limiter.allow(source, now)) allowed++;
  assert.equal(allowed, 200);
});

test('credit refills to a burst of five and no further', () => {
  const limiter = new RateLimiter();
  const source = ip('192.0.2.1');
  assert.equal(allowedOf(limiter, source, 0, 5), 5);
  assert.equal(allowedOf(limiter, source, 200, 10), 4, 'four tokens after 200 ms');
  assert.equal(allowedOf(limiter, source, 800, 10), 5, 'capped at the burst after 600 ms');
  assert.equal(allowedOf(limiter, source, 60_000, 10), 5, 'capped at the burst after a minute');
});

test('refused messages still count as activity but cost nothing', () => {
  const limiter = new RateLimiter();
  const source = ip('192.0.2.1');
  assert.equal(allowedOf(limiter, source, 0, 5), 5);
  for (let now = 10; now < 50; now += 10) assert.equal(limiter.allow(source, now), false);
  assert.ok(limiter.allow(source, 50), 'the credit earned while refusing is kept');
});

test('sources are limited independently', () => {
  const limiter = new RateLimiter();
  assert.equal(allowedOf(limiter, ip('192.0.2.1'), 0, 10), 5);
  assert.equal(allowedOf(limiter, ip('192.0.2.2'), 0, 10), 5);
  assert.equal(allowedOf(limiter, ip('2001:db8::1'), 0, 10), 5);
  assert.equal(limiter.size, 3);
});

test('IPv6 sources in the same /64 share a bucket', () => {
  const limiter = new RateLimiter();
  assert.equal(allowedOf(limiter, ip('2001:db8:1:2::1'), 0, 3), 3);
  assert.equal(allowedOf(limiter, ip('2001:db8:1:2:ffff:ffff:ffff:ffff'), 0, 10), 2);
  assert.equal(allowedOf(limiter, ip('2001:db8:1:3::1'), 0, 10), 5, 'the next /64 is another source');
  assert.equal(allowedOf(limiter, ip('2001:db9:1:2::1'), 0, 10), 5);
  assert.equal(limiter.size, 3);
});

test('IPv4 and IPv6 never share a bucket, except IPv4-mapped addresses', () => {
  const limiter = new RateLimiter();
  assert.equal(allowedOf(limiter, ip('1.2.3.4'), 0, 10), 5);
  assert.equal(allowedOf(limiter, ip('102:304::'), 0, 10), 5, 'same leading bytes, other family');
  assert.equal(allowedOf(limiter, ip('::ffff:1.2.3.4'), 0, 10), 0, 'the mapped form is the same host');
  assert.equal(allowedOf(limiter, ip('::ffff:1.2.3.5'), 0, 10), 5, 'mapped hosts are not one /64');
});

test('gc drops entries idle for more than a second, and only those', () => {
  const limiter = new RateLimiter();
  limiter.allow(ip('192.0.2.1'), 0);
  limiter.allow(ip('192.0.2.2'), 500);
  limiter.allow(ip('2001:db8::1'), 700);
  assert.equal(limiter.size, 3);
  limiter.gc(RATELIMITER_IDLE_TIMEOUT);
  assert.equal(limiter.size, 3, 'exactly one second idle is kept');
  limiter.gc(RATELIMITER_IDLE_TIMEOUT + 1);
  assert.equal(limiter.size, 2);
  limiter.gc(1701);
  assert.equal(limiter.size, 0);
});

test('allow collects idle entries by itself once a second', () => {
  const limiter = new RateLimiter();
  for (let i = 1; i <= 10; i++) limiter.allow(ip(`192.0.2.${i}`), 0);
  limiter.allow(ip('198.51.100.1'), 999);
  assert.equal(limiter.size, 11);
  limiter.allow(ip('198.51.100.1'), 1500);
  assert.equal(limiter.size, 1);
});

test('past the size cap new sources are refused until idle ones are collected', () => {
  const limiter = new RateLimiter();
  const source = (i: number): IpAddress => ({
    family: 4,
    bytes: Uint8Array.of(10, i >> 16, (i >> 8) & 0xff, i & 0xff),
  });
  for (let i = 0; i < RATELIMITER_MAX_ENTRIES; i++) assert.ok(limiter.allow(source(i), 0));
  assert.equal(limiter.size, RATELIMITER_MAX_ENTRIES);
  assert.equal(limiter.allow(source(RATELIMITER_MAX_ENTRIES), 10), false, 'a new source');
  assert.ok(limiter.allow(source(0), 10), 'a known source still has its own bucket');
  assert.equal(limiter.size, RATELIMITER_MAX_ENTRIES);
  assert.ok(limiter.allow(source(RATELIMITER_MAX_ENTRIES), 2000), 'room again once idle entries go');
  assert.equal(limiter.size, 1);
});
