import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualNetwork, ipv4Packet, ipv6Packet, seededRandom } from './support/virtual-network.js';
import { parseCidr, parseEndpoint, formatEndpoint } from '../../helper/src/net/ip.js';
import { generatePrivateKey } from '../../helper/src/crypto/x25519.js';
import { paddedLength } from '../../helper/src/engine/send.js';
import { MESSAGE_COOKIE_REPLY, MESSAGE_INITIATION, MESSAGE_TRANSPORT } from '../../helper/src/engine/messages.js';
import { CONSTRUCTION, IDENTIFIER, INITIAL_CHAIN_KEY, INITIAL_HASH } from '../../helper/src/engine/constants.js';
import { handshakeCrypto, secureRandom } from '../../helper/src/crypto/provider.js';
import { CookieChecker } from '../../helper/src/engine/cookie.js';
import { NEEDS_COOKIE } from '../../helper/src/crypto/handshake-crypto.js';

function pair(options: { psk?: boolean } = {}) {
  const net = new VirtualNetwork();
  const a = net.addNode('a', '192.0.2.1:51820');
  const b = net.addNode('b', '192.0.2.2:51820');
  const peerB = net.connect(a, b, ['10.0.0.2/32', 'fd00::2/128']);
  const peerA = net.connect(b, a, ['10.0.0.1/32', 'fd00::1/128']);
  if (options.psk) {
    const psk = new Uint8Array(32).fill(7);
    a.device.setPresharedKey(peerB, psk);
    b.device.setPresharedKey(peerA, psk);
  }
  return { net, a, b, peerA, peerB };
}

test('a packet for a peer triggers a handshake and arrives intact, both ways, IPv4 and IPv6', () => {
  const { net, a, b, peerA, peerB } = pair();
  const packet = ipv4Packet('10.0.0.1', '10.0.0.2', 100);
  a.device.handleTunPacket(packet);
  net.flush();
  assert.equal(b.received.length, 1);
  assert.deepEqual(new Uint8Array(b.received[0]!), packet);
  assert.ok(peerB.lastHandshakeWallClock !== undefined);
  assert.ok(peerA.lastHandshakeWallClock !== undefined);

  const reply = ipv6Packet('fd00::2', 'fd00::1', 1200);
  b.device.handleTunPacket(reply);
  net.flush();
  assert.equal(a.received.length, 1);
  assert.deepEqual(new Uint8Array(a.received[0]!), reply);
  assert.ok(peerA.rxBytes > 0 && peerA.txBytes > 0 && peerB.rxBytes > 0 && peerB.txBytes > 0);
  assert.equal(peerA.rxBytes, peerB.txBytes);
  assert.equal(peerB.rxBytes, peerA.txBytes);
});

test('a preshared key on both sides works; a mismatched one yields no session', () => {
  const ok = pair({ psk: true });
  ok.a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  ok.net.flush();
  assert.equal(ok.b.received.length, 1);

  const bad = pair();
  bad.a.device.setPresharedKey(bad.peerB, new Uint8Array(32).fill(1));
  bad.a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  bad.net.flush();
  assert.equal(bad.b.received.length, 0);
  assert.equal(bad.peerB.keypairs.current, undefined);
  assert.ok((bad.a.device.drops.get('handshake-rejected') ?? 0) >= 1);
});

test("a new private key handshakes at once, without waiting out the previous initiation's rekey timeout", () => {
  const { net, a, b, peerA } = pair();
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  assert.equal(b.received.length, 1);

  const newKey = generatePrivateKey();
  a.device.setPrivateKey(newKey.raw);
  b.device.removePeer(peerA);
  const peerForNewKey = b.device.addPeer(newKey.publicKey)!;
  b.device.allowedIps.insert(parseCidr('10.0.0.1/32')!, peerForNewKey);
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  assert.equal(b.received.length, 2, 'the packet sent under the new key arrived without any time passing');
  assert.ok(peerForNewKey.lastHandshakeWallClock !== undefined);
});

test('transport padding is a multiple of 16 and the receiver trims it', () => {
  const { net, a, b } = pair();
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2', 1));
  net.flush();
  const transport = a.sent.filter((s) => s.datagram[0] === MESSAGE_TRANSPORT);
  assert.equal(transport.length, 1);
  assert.equal((transport[0]!.datagram.length - 32) % 16, 0);
  assert.equal(b.received[0]!.length, 21);
});

test('padding goes up to a multiple of 16 only where that stays within the MTU', () => {
  assert.equal(paddedLength(0, 1420), 0);
  assert.equal(paddedLength(1, 1420), 16);
  assert.equal(paddedLength(1408, 1420), 1408);
  assert.equal(paddedLength(1409, 1420), 1409, 'a packet whose next multiple of 16 is past the MTU goes unpadded');
  assert.equal(paddedLength(1420, 1420), 1420);
  assert.equal(paddedLength(1297, 1300), 1297, 'within a route MTU of 1299 that the engine cannot see');
  assert.equal(paddedLength(1500, 1420), 1500, 'a packet larger than the MTU is never cut');
});

test('replayed, truncated, garbage and unknown-index datagrams are dropped and counted', () => {
  const { net, a, b } = pair();
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  const data = a.sent.find((s) => s.datagram[0] === MESSAGE_TRANSPORT && s.datagram.length > 32)!.datagram;
  b.device.handleDatagram(data, a.endpoint);
  b.device.flush();
  assert.equal(b.received.length, 1);
  assert.equal(b.device.drops.get('replay'), 1);

  b.device.handleDatagram(data.subarray(0, 20), a.endpoint);
  b.device.handleDatagram(new Uint8Array([9, 0, 0, 0, 1, 2, 3]), a.endpoint);
  assert.equal(b.device.drops.get('malformed'), 2);

  const unknown = Uint8Array.from(data);
  unknown[4]! ^= 0xff;
  b.device.handleDatagram(unknown, a.endpoint);
  assert.equal(b.device.drops.get('unknown-index'), 1);

  const tampered = Uint8Array.from(data);
  tampered[tampered.length - 1]! ^= 1;
  b.device.handleDatagram(tampered, a.endpoint);
  b.device.flush();
  assert.equal(b.device.drops.get('decrypt'), 1);

  const initiation = a.sent.find((s) => s.datagram[0] === MESSAGE_INITIATION)!.datagram;
  const badMac = Uint8Array.from(initiation);
  badMac[120]! ^= 1;
  b.device.handleDatagram(badMac, a.endpoint);
  b.device.flush();
  assert.equal(b.device.drops.get('mac1'), 1);
  // The same initiation again: its timestamp is not newer than the last accepted one.
  b.device.handleDatagram(initiation, a.endpoint);
  b.device.flush();
  assert.equal(b.device.drops.get('handshake-rejected'), 1);
  assert.equal(b.received.length, 1);
});

test("a packet whose inner source is not in the peer's allowed IPs is dropped", () => {
  const { net, a, b } = pair();
  a.device.handleTunPacket(ipv4Packet('10.9.9.9', '10.0.0.2'));
  net.flush();
  assert.equal(b.received.length, 0);
  assert.equal(b.device.drops.get('source-not-allowed'), 1);
});

test('a packet nobody routes is answered with ICMP host unreachable on the TUN', () => {
  const { a } = pair();
  const packet = ipv4Packet('10.0.0.1', '10.5.5.5');
  a.device.handleTunPacket(packet);
  assert.equal(a.device.drops.get('no-route'), 1);
  assert.equal(a.received.length, 1);
  const icmp = a.received[0]!;
  assert.equal(icmp[9], 1); // protocol ICMP
  assert.deepEqual([...icmp.subarray(12, 16)], [10, 5, 5, 5]);
  assert.deepEqual([...icmp.subarray(16, 20)], [10, 0, 0, 1]);
  assert.equal(icmp[20], 3);
  assert.equal(icmp[21], 1);
  assert.deepEqual(icmp.subarray(28), packet);

  a.device.handleTunPacket(ipv6Packet('fd00::1', 'fd00::99'));
  const icmp6 = a.received[1]!;
  assert.equal(icmp6[6], 58);
  assert.equal(icmp6[40], 1);
  assert.equal(icmp6[41], 3);
});

test('a peer without an endpoint cannot be reached: ICMP unreachable, no handshake', () => {
  const net = new VirtualNetwork();
  const a = net.addNode('a', '192.0.2.1:51820');
  const b = net.addNode('b', '192.0.2.2:51820');
  net.connect(a, b, ['10.0.0.2/32'], false);
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  assert.equal(a.sent.length, 0);
  assert.equal(a.device.drops.get('no-endpoint'), 1);
  assert.equal(a.received[0]![20], 3);
});

test("the responder learns the initiator's endpoint, and follows it when it roams, telling each move once", () => {
  const net = new VirtualNetwork();
  const roamed: string[] = [];
  const a = net.addNode('a', '192.0.2.1:51820');
  const b = net.addNode('b', '192.0.2.2:51820', {
    onPeerRoamed: (peer) => roamed.push(formatEndpoint(peer.endpoint!)),
  });
  net.connect(a, b, ['10.0.0.2/32']);
  const peerA = net.connect(b, a, ['10.0.0.1/32'], false);
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  assert.equal(formatEndpoint(peerA.endpoint!), '192.0.2.1:51820');
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  assert.deepEqual(roamed, ['192.0.2.1:51820'], 'learned once; more packets from the same place are no move');

  // a moves: its datagrams now come from another address and port.
  const moved = parseEndpoint('[2001:db8::7]:40000')!;
  (a as { endpoint: typeof moved }).endpoint = moved;
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  assert.equal(formatEndpoint(peerA.endpoint!), '[2001:db8::7]:40000');
  assert.deepEqual(roamed, ['192.0.2.1:51820', '[2001:db8::7]:40000']);
  b.device.handleTunPacket(ipv4Packet('10.0.0.2', '10.0.0.1'));
  net.flush();
  assert.equal(a.received.length, 1);
});

test('packets staged during the handshake are all delivered once it completes, up to the bound', () => {
  const { net, a, b } = pair();
  for (let i = 0; i < 200; i++) a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2', 20, i));
  net.flush();
  assert.equal(b.received.length, 128);
  assert.equal(a.device.drops.get('staged-overflow'), 72);
  // The newest were kept.
  assert.equal(b.received[127]![30], 199);
});

test('a wrong public key yields no session and the initiator keeps retrying', () => {
  const net = new VirtualNetwork();
  const a = net.addNode('a', '192.0.2.1:51820');
  const b = net.addNode('b', '192.0.2.2:51820');
  const stranger = net.addNode('c', '192.0.2.3:51820');
  const wrong = a.device.addPeer(stranger.publicKey)!;
  wrong.endpoint = b.endpoint;
  a.device.allowedIps.insert({ family: 4, bytes: Uint8Array.of(10, 0, 0, 2), prefix: 32 }, wrong);
  net.connect(b, a, ['10.0.0.1/32']);
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.advance(12_000);
  assert.equal(b.received.length, 0);
  assert.equal(wrong.keypairs.current, undefined);
  assert.ok((b.device.drops.get('mac1') ?? 0) >= 3);
  assert.ok(a.sent.filter((s) => s.datagram[0] === MESSAGE_INITIATION).length >= 3);
});

test('under load the responder answers with a cookie; the initiator sends again at once with MAC2 and succeeds', () => {
  const net = new VirtualNetwork();
  const a = net.addNode('a', '192.0.2.1:51820');
  const b = net.addNode('b', '192.0.2.2:51820', { underLoadThreshold: 0 });
  net.connect(a, b, ['10.0.0.2/32']);
  net.connect(b, a, ['10.0.0.1/32']);
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  assert.equal(b.sent.filter((s) => s.datagram[0] === MESSAGE_COOKIE_REPLY).length, 1);
  assert.equal(b.device.drops.get('cookie-required'), 1);
  assert.equal(
    a.sent.filter((s) => s.datagram[0] === MESSAGE_INITIATION).length,
    2,
    'the first initiation, then one with MAC2',
  );
  assert.equal(b.received.length, 1, 'without waiting for the retransmit timer');
});

test('cookie replies make the initiator send again once per initiation the timers send, however many come', () => {
  const net = new VirtualNetwork();
  const a = net.addNode('a', '192.0.2.1:51820');
  const b = net.addNode('b', '192.0.2.2:51820');
  net.connect(a, b, ['10.0.0.2/32']);
  net.filter = (_datagram, from) => from !== b.endpoint;
  const initiations = () => a.sent.filter((s) => s.datagram[0] === MESSAGE_INITIATION);
  const answerLatest = () => {
    // Anyone who sees an initiation and knows the responder's public key can make a cookie reply for it;
    // a fresh secret each time, so that the MAC2 of the last cookie does not satisfy it.
    const forger = new CookieChecker(handshakeCrypto, b.publicKey, secureRandom);
    const latest = initiations().at(-1)!.datagram;
    const reply = new Uint8Array(64);
    assert.equal(forger.check(latest, a.endpoint, true, net.clock.now(), reply), NEEDS_COOKIE);
    a.device.handleDatagram(reply, b.endpoint);
    net.flush();
  };
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  answerLatest();
  assert.equal(initiations().length, 2);
  answerLatest();
  answerLatest();
  assert.equal(initiations().length, 2, 'no more until the retransmit timer');
  net.advance(5_500);
  assert.equal(initiations().length, 3);
  answerLatest();
  answerLatest();
  assert.equal(initiations().length, 4);
});

test('with the same keys, clock and random source, a handshake and its first packets replay byte for byte', () => {
  const run = (seedA: number, seedB: number) => {
    const net = new VirtualNetwork();
    const a = net.addNode('a', '192.0.2.1:51820', {
      privateKey: new Uint8Array(32).fill(1),
      random: seededRandom(seedA),
    });
    const b = net.addNode('b', '192.0.2.2:51820', {
      privateKey: new Uint8Array(32).fill(2),
      random: seededRandom(seedB),
    });
    net.connect(a, b, ['10.0.0.2/32']);
    net.connect(b, a, ['10.0.0.1/32']);
    a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2', 100));
    net.flush();
    b.device.handleTunPacket(ipv4Packet('10.0.0.2', '10.0.0.1', 300));
    net.advance(30_000);
    return [...a.sent, ...b.sent].map(({ datagram, at }) => `${at} ${Buffer.from(datagram).toString('hex')}`);
  };
  const first = run(11, 22);
  assert.ok(first.length >= 4, `${first.length} datagrams`);
  assert.equal(first.filter((line) => line.split(' ')[1]!.startsWith('01')).length, 1, 'one initiation');
  assert.deepEqual(run(11, 22), first);
  const other = run(11, 23);
  assert.notDeepEqual(other, first, 'the responder draws its ephemeral key and index from the random source');
  assert.equal(other[0], first[0], "the initiator's messages depend on its own source only");
});

test('the written-out initial chaining key and hash are HASH(CONSTRUCTION) and HASH(it ‖ IDENTIFIER)', () => {
  const encoder = new TextEncoder();
  const chainingKey = handshakeCrypto.hash(encoder.encode(CONSTRUCTION));
  assert.deepEqual(new Uint8Array(chainingKey), INITIAL_CHAIN_KEY);
  assert.deepEqual(new Uint8Array(handshakeCrypto.hash(chainingKey, encoder.encode(IDENTIFIER))), INITIAL_HASH);
});
