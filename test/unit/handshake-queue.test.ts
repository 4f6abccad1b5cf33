// Handshake messages queue apart from transport: bounded, excess dropped and
// counted, worked through oldest first within a share of the device's time;
// the device goes under load when the queue backs up, and from then on checks
// each message as it arrives, so a flood never stands between a sender and
// its cookie.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HANDSHAKE_QUEUE_SIZE,
  HANDSHAKE_TIME_BURST,
  HANDSHAKE_TIME_SHARE,
  HandshakeQueue,
} from '../../helper/src/engine/handshake-queue.js';
import { MESSAGE_COOKIE_REPLY, MESSAGE_INITIATION } from '../../helper/src/engine/messages.js';
import { parseEndpoint } from '../../helper/src/net/ip.js';
import { floodMessages } from '../integration/harness/flood.js';
import { VirtualNetwork, ipv4Packet } from './support/virtual-network.js';

const source = parseEndpoint('198.51.100.7:4000')!;

function initiation(marker: number): Uint8Array {
  const message = new Uint8Array(148);
  message[0] = MESSAGE_INITIATION;
  message[4] = marker;
  return message;
}

test('the queue keeps copies, oldest first, and refuses what does not fit without touching it', () => {
  const queue = new HandshakeQueue();
  for (let i = 0; i < HANDSHAKE_QUEUE_SIZE; i++)
    assert.equal(queue.push(initiation(i & 0xff), source, i % 3 === 0), true);
  const extra = initiation(0xee);
  assert.equal(queue.push(extra, source, false), false);
  assert.equal(queue.length, HANDSHAKE_QUEUE_SIZE);
  const original = initiation(3);
  const copy = new HandshakeQueue();
  copy.push(original, source, false);
  original[4] = 99;
  assert.equal(copy.take()!.message[4], 3, "a copy, not the caller's buffer");
  for (let i = 0; i < HANDSHAKE_QUEUE_SIZE; i++) {
    const taken = queue.take()!;
    assert.equal(taken.message[4], i & 0xff);
    assert.equal(taken.message.length, 148);
    assert.equal(taken.source, source);
    assert.equal(taken.checked, i % 3 === 0, 'whether it was checked before it was queued');
  }
  assert.equal(queue.take(), undefined);
  const response = new Uint8Array(92);
  response[0] = 2;
  queue.push(response, source, true);
  assert.equal(queue.take()!.message.length, 92);
});

test('the time credit: a share of elapsed time, saved up to a burst, spent by work; the deadline says when there is more', () => {
  const queue = new HandshakeQueue();
  assert.equal(queue.timeAvailable(0), HANDSHAKE_TIME_BURST);
  queue.spend(HANDSHAKE_TIME_BURST + 1);
  assert.equal(queue.nextDeadline(0), Infinity, 'nothing queued, nothing to do');
  queue.push(initiation(1), source, false);
  assert.equal(queue.nextDeadline(0), 1 / HANDSHAKE_TIME_SHARE, 'once a millisecond of credit has come back');
  assert.equal(queue.nextDeadline(1 / HANDSHAKE_TIME_SHARE + 1), 1 / HANDSHAKE_TIME_SHARE + 1);
  assert.equal(queue.timeAvailable(1_000_000), HANDSHAKE_TIME_BURST);
});

test('a flood waits in the queue until it is an eighth full; from then on each initiation gets its cookie on arrival, and a flush works on the queue only while the time credit lasts', () => {
  const net = new VirtualNetwork();
  const server = net.addNode('server', '192.0.2.1:51820');
  const floodSize = 2 * HANDSHAKE_QUEUE_SIZE;
  const flood = floodMessages(server.publicKey, floodSize);
  for (let i = 0; i < floodSize; i++) server.device.handleDatagram(flood.subarray(i * 148, (i + 1) * 148), source);
  const backlog = HANDSHAKE_QUEUE_SIZE / 8;
  assert.equal(server.device.handshakes.length, backlog, 'queued unchecked until the queue backs up');
  assert.equal(server.device.drops.get('handshake-queue-full'), undefined, 'none dropped for want of room');
  assert.equal(server.device.drops.get('cookie-required'), floodSize - backlog, 'the rest checked as they came');
  // Time passes only as the device looks at the clock, 0.1 ms a look: at least one look per message.
  const clock = server.device.clock as { now: () => number };
  const realNow = clock.now;
  let looks = 0;
  clock.now = () => realNow() + 0.1 * ++looks;
  try {
    const queued = () => server.device.handshakes.length;
    server.device.flush();
    const cookies = server.sent.filter((s) => s.datagram[0] === MESSAGE_COOKIE_REPLY).length;
    assert.ok(cookies >= floodSize - backlog, `the first flush sent the cookies the arrivals earned (${cookies})`);
    const first = backlog - queued();
    assert.ok(first >= 1 && first <= HANDSHAKE_TIME_BURST / 0.1 + 1, `${first} messages in the first flush`);
    const before = queued();
    server.device.flush();
    const second = before - queued();
    // Right after, only the credit that came back while the first flush worked: its share of that time.
    assert.ok(second <= first * HANDSHAKE_TIME_SHARE + 2, `${second} messages in the second flush after ${first}`);
  } finally {
    clock.now = realNow;
  }
});

test('under load, a message that proved its source queues for its DH, and is dropped and counted when the queue is full', () => {
  const net = new VirtualNetwork();
  const server = net.addNode('server', '192.0.2.1:51820', { underLoadThreshold: 0 });
  const client = net.addNode('client', '192.0.2.2:51820');
  net.connect(client, server, ['10.0.0.1/32']);
  net.connect(server, client, ['10.0.0.2/32']);
  client.device.handleTunPacket(ipv4Packet('10.0.0.2', '10.0.0.1'));
  net.flush();
  assert.equal(server.received.length, 1, 'the client got in: a cookie, then MAC2');
  const initiations = client.sent.filter((s) => s.datagram[0] === MESSAGE_INITIATION);
  assert.equal(initiations.length, 2);
  const withMac2 = initiations[1]!.datagram;
  const queue = server.device.handshakes;
  for (let i = 0; i < HANDSHAKE_QUEUE_SIZE; i++) queue.push(withMac2, client.endpoint, true);
  const cookiesBefore = server.device.drops.get('cookie-required');
  server.device.handleDatagram(withMac2, client.endpoint);
  assert.equal(server.device.drops.get('cookie-required'), cookiesBefore, 'its MAC2 was accepted');
  assert.equal(server.device.drops.get('handshake-queue-full'), 1);
  assert.equal(queue.length, HANDSHAKE_QUEUE_SIZE);
});

test('a new peer that speaks behind a flood four times the queue gets its cookie at once and is in within a second', () => {
  const net = new VirtualNetwork();
  const server = net.addNode('server', '192.0.2.1:51820');
  const client = net.addNode('client', '192.0.2.2:51820');
  net.connect(client, server, ['10.0.0.1/32']);
  net.connect(server, client, ['10.0.0.2/32']);
  // Work takes time: 0.1 ms each time a device looks at the clock, so the server cannot drain the flood at once.
  net.clock.now = () => (net.clock.time += 0.1);
  const backlog = 4 * HANDSHAKE_QUEUE_SIZE;
  const flood = floodMessages(server.publicKey, backlog);
  for (let i = 0; i < backlog; i++) server.device.handleDatagram(flood.subarray(i * 148, (i + 1) * 148), source);
  const start = net.clock.time;
  client.device.handleTunPacket(ipv4Packet('10.0.0.2', '10.0.0.1'));
  net.advance(1_000);
  const cookie = server.sent.find((s) => s.datagram[0] === MESSAGE_COOKIE_REPLY && s.to === client.endpoint);
  assert.ok(cookie, 'the client was sent a cookie');
  assert.ok(cookie.at - start < 10, `the cookie went out ${(cookie.at - start).toFixed(1)} ms after the initiation`);
  assert.equal(server.received.length, 1, 'and with it the client got through');
  assert.equal(server.device.drops.get('handshake-queue-full'), undefined);
});
