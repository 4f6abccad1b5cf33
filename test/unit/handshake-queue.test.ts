// Handshake messages queue apart from transport: bounded, excess dropped and
// counted, worked through oldest first within a share of the device's time,
// and the device goes under load when the queue backs up.
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
  for (let i = 0; i < HANDSHAKE_QUEUE_SIZE; i++) assert.equal(queue.push(initiation(i & 0xff), source), true);
  const extra = initiation(0xee);
  assert.equal(queue.push(extra, source), false);
  assert.equal(queue.length, HANDSHAKE_QUEUE_SIZE);
  const original = initiation(3);
  const copy = new HandshakeQueue();
  copy.push(original, source);
  original[4] = 99;
  assert.equal(copy.take()!.message[4], 3, "a copy, not the caller's buffer");
  for (let i = 0; i < HANDSHAKE_QUEUE_SIZE; i++) {
    const taken = queue.take()!;
    assert.equal(taken.message[4], i & 0xff);
    assert.equal(taken.message.length, 148);
    assert.equal(taken.source, source);
  }
  assert.equal(queue.take(), undefined);
  const response = new Uint8Array(92);
  response[0] = 2;
  queue.push(response, source);
  assert.equal(queue.take()!.message.length, 92);
});

test('the time credit: a share of elapsed time, saved up to a burst, spent by work; the deadline says when there is more', () => {
  const queue = new HandshakeQueue();
  assert.equal(queue.timeAvailable(0), HANDSHAKE_TIME_BURST);
  queue.spend(HANDSHAKE_TIME_BURST + 1);
  assert.equal(queue.nextDeadline(0), Infinity, 'nothing queued, nothing to do');
  queue.push(initiation(1), source);
  assert.equal(queue.nextDeadline(0), 1 / HANDSHAKE_TIME_SHARE, 'once a millisecond of credit has come back');
  assert.equal(queue.nextDeadline(1 / HANDSHAKE_TIME_SHARE + 1), 1 / HANDSHAKE_TIME_SHARE + 1);
  assert.equal(queue.timeAvailable(1_000_000), HANDSHAKE_TIME_BURST);
});

test('a flood beyond the queue is dropped and counted; a flush works on it only while the time credit lasts', () => {
  const net = new VirtualNetwork();
  const server = net.addNode('server', '192.0.2.1:51820');
  const flood = floodMessages(server.publicKey, 2 * HANDSHAKE_QUEUE_SIZE);
  for (let i = 0; i < 2 * HANDSHAKE_QUEUE_SIZE; i++)
    server.device.handleDatagram(flood.subarray(i * 148, (i + 1) * 148), source);
  assert.equal(server.device.drops.get('handshake-queue-full'), HANDSHAKE_QUEUE_SIZE);
  // Time passes only as the device looks at the clock, 0.1 ms a look: at least one look per message.
  const clock = server.device.clock as { now: () => number };
  const realNow = clock.now;
  let looks = 0;
  clock.now = () => realNow() + 0.1 * ++looks;
  try {
    const queued = () => server.device.handshakes.length;
    server.device.flush();
    const first = HANDSHAKE_QUEUE_SIZE - queued();
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

test('a handshake queue an eighth full puts the device under load: senders without a cookie get one', () => {
  const net = new VirtualNetwork();
  const server = net.addNode('server', '192.0.2.1:51820');
  const client = net.addNode('client', '192.0.2.2:51820');
  net.connect(client, server, ['10.0.0.1/32']);
  net.connect(server, client, ['10.0.0.2/32']);
  // An eighth behind the one being worked on.
  const backlog = HANDSHAKE_QUEUE_SIZE / 8 + 1;
  const flood = floodMessages(server.publicKey, backlog);
  for (let i = 0; i < backlog; i++) server.device.handleDatagram(flood.subarray(i * 148, (i + 1) * 148), source);
  client.device.handleTunPacket(ipv4Packet('10.0.0.2', '10.0.0.1'));
  net.flush();
  assert.ok((server.device.drops.get('cookie-required') ?? 0) >= 1);
  assert.ok(
    server.sent.some((s) => s.datagram[0] === MESSAGE_COOKIE_REPLY && s.to === client.endpoint),
    'the client was sent a cookie',
  );
  assert.equal(server.received.length, 1, 'and with it the client got through');
});
