// Every timer of whitepaper section 6, driven in virtual time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualNetwork, ipv4Packet, type Node } from './support/virtual-network.js';
import { MESSAGE_INITIATION, MESSAGE_TRANSPORT, TRANSPORT_MIN_SIZE } from '../../helper/src/engine/messages.js';
import {
  KEEPALIVE_TIMEOUT,
  REJECT_AFTER_TIME,
  REKEY_AFTER_TIME,
  REKEY_ATTEMPT_TIME,
  REKEY_TIMEOUT,
  REKEY_TIMEOUT_JITTER_MAX,
} from '../../helper/src/engine/constants.js';

function pair() {
  const net = new VirtualNetwork();
  const a = net.addNode('a', '192.0.2.1:51820');
  const b = net.addNode('b', '192.0.2.2:51820');
  const peerB = net.connect(a, b, ['10.0.0.2/32']);
  const peerA = net.connect(b, a, ['10.0.0.1/32']);
  return { net, a, b, peerA, peerB };
}

const initiations = (node: Node) => node.sent.filter((s) => s.datagram[0] === MESSAGE_INITIATION);
const keepalives = (node: Node) =>
  node.sent.filter((s) => s.datagram[0] === MESSAGE_TRANSPORT && s.datagram.length === TRANSPORT_MIN_SIZE);

test('REKEY_TIMEOUT: an unanswered initiation is retried after 5 s plus jitter', () => {
  const { net, a } = pair();
  net.filter = () => false; // b is unreachable
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  const first = net.clock.time;
  net.advance(REKEY_TIMEOUT - 1);
  assert.equal(initiations(a).length, 1);
  net.advance(REKEY_TIMEOUT_JITTER_MAX + 1);
  assert.equal(initiations(a).length, 2);
  const retryAt = net.clock.time;
  assert.ok(retryAt - first >= REKEY_TIMEOUT && retryAt - first <= REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER_MAX);
});

test('REKEY_ATTEMPT_TIME: after 90 s of attempts the initiator gives up and drops staged packets', () => {
  const { net, a, peerB } = pair();
  net.filter = () => false;
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.advance(REKEY_ATTEMPT_TIME + 4 * (REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER_MAX));
  const attempts = initiations(a).length;
  // As wireguard-go: the first attempt, then retries until the attempt count passes
  // REKEY_ATTEMPT_TIME / REKEY_TIMEOUT.
  assert.equal(attempts, REKEY_ATTEMPT_TIME / REKEY_TIMEOUT + 2);
  const sent = initiations(a);
  assert.ok(sent[sent.length - 1]!.at - sent[0]!.at >= REKEY_ATTEMPT_TIME);
  assert.equal(peerB.staged.length, 0);
  net.advance(60_000);
  assert.equal(initiations(a).length, attempts, 'no attempts after giving up');
  // New traffic starts a new round of attempts.
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  assert.equal(initiations(a).length, attempts + 1);
});

test('KEEPALIVE_TIMEOUT: data received and nothing sent back gets a keepalive after 10 s', () => {
  const { net, a, b } = pair();
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  const before = keepalives(b).length;
  net.advance(KEEPALIVE_TIMEOUT - 1);
  assert.equal(keepalives(b).length, before);
  net.advance(2);
  assert.equal(keepalives(b).length, before + 1);
  // If b answers with data in time, no keepalive is needed.
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  net.advance(1000);
  b.device.handleTunPacket(ipv4Packet('10.0.0.2', '10.0.0.1'));
  net.flush();
  const count = keepalives(b).length;
  net.advance(KEEPALIVE_TIMEOUT + 1000);
  assert.equal(keepalives(b).length, count);
});

test('data sent without any answer for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT starts a new handshake', () => {
  const { net, a, b } = pair();
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.advance(20_000); // session up, keepalives exchanged, quiet
  const count = initiations(a).length;
  // b stops answering.
  net.filter = (_d, from) => from !== b.endpoint;
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.advance(KEEPALIVE_TIMEOUT + REKEY_TIMEOUT - 1);
  assert.equal(initiations(a).length, count);
  net.advance(REKEY_TIMEOUT_JITTER_MAX + 2);
  assert.equal(initiations(a).length, count + 1);
});

test('REKEY_AFTER_TIME: the initiator rekeys when it sends on a session older than 120 s', () => {
  const { net, a, peerB } = pair();
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  const firstSession = peerB.keypairs.current!;
  net.advance(REKEY_AFTER_TIME - 1000);
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  assert.equal(peerB.keypairs.current, firstSession);
  net.advance(2000);
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  assert.notEqual(peerB.keypairs.current, firstSession);
  assert.equal(peerB.keypairs.previous, firstSession);
});

test('the responder confirms its new session on the first packet and keeps the old one as previous', () => {
  const { net, a, b, peerA, peerB } = pair();
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  const first = peerA.keypairs.current!;
  assert.ok(first && !first.isInitiator);
  net.advance(REKEY_AFTER_TIME + 1000);
  // Hold back a's traffic after the handshake response, so b's new session stays "next".
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  assert.equal(peerA.keypairs.current?.isInitiator, false);
  assert.notEqual(peerA.keypairs.current, first);
  assert.equal(peerA.keypairs.previous, first);
  assert.equal(peerA.keypairs.next, undefined);
  assert.ok(peerB.keypairs.current !== undefined);
  assert.equal(b.received.length, 2);
});

test('REJECT_AFTER_TIME: a session older than 180 s is not used to send; a handshake replaces it', () => {
  const { net, a, b, peerA } = pair();
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  const old = peerA.keypairs.current!;
  // Quiet for longer than REJECT_AFTER_TIME: b (the responder) cannot use the old session.
  net.advance(REJECT_AFTER_TIME + 1000);
  assert.equal(old.canSend(net.clock.now()), false);
  const before = initiations(b).length;
  b.device.handleTunPacket(ipv4Packet('10.0.0.2', '10.0.0.1'));
  assert.equal(initiations(b).length, before + 1);
  net.flush();
  assert.equal(a.received.length, 1);
});

test('zeroing: 3 × REJECT_AFTER_TIME after the last session was derived every key is wiped', () => {
  const { net, a, peerB } = pair();
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  const keypair = peerB.keypairs.current!;
  const sendKey = keypair.sendKey;
  net.filter = () => false;
  net.advance(REJECT_AFTER_TIME * 3 - 1000);
  assert.ok(peerB.keypairs.current);
  net.advance(2000);
  assert.equal(peerB.keypairs.current, undefined);
  assert.equal(peerB.keypairs.previous, undefined);
  assert.ok(
    sendKey.every((byte) => byte === 0),
    'the key bytes themselves are zeroed',
  );
  assert.equal(a.device.indices.get(keypair.localIndex), undefined);
});

test('persistent keepalive: a keepalive every interval while otherwise quiet', () => {
  const { net, a, b, peerB } = pair();
  peerB.timers.persistentKeepaliveInterval = 25;
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  const start = keepalives(a).length;
  net.advance(25_000 * 5);
  const sent = keepalives(a).slice(start);
  assert.ok(sent.length >= 4, `expected at least 4 persistent keepalives, got ${sent.length}`);
  for (let i = 1; i < sent.length; i++) assert.equal(sent[i]!.at - sent[i - 1]!.at, 25_000);
  assert.equal(b.device.drops.size, 0);
});

test('the initiator rekeys once near the receive expiry of its session (REJECT - KEEPALIVE - REKEY_TIMEOUT)', () => {
  const { net, a, b, peerB } = pair();
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  const first = peerB.keypairs.current!;
  // Only b talks (a receives), so a's sending-side rekey never triggers.
  net.advance(REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT - 2000);
  const count = initiations(a).length;
  b.device.handleTunPacket(ipv4Packet('10.0.0.2', '10.0.0.1'));
  net.flush();
  assert.equal(initiations(a).length, count);
  net.advance(3000);
  b.device.handleTunPacket(ipv4Packet('10.0.0.2', '10.0.0.1'));
  net.flush();
  assert.equal(initiations(a).length, count + 1);
  assert.notEqual(peerB.keypairs.current, first);
});
