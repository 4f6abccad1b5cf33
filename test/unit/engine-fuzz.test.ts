// Whatever arrives from the network or the TUN, the device drops and counts what
// it cannot use and never throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VirtualNetwork, ipv4Packet } from './support/virtual-network.js';
import { parseEndpoint } from '../../helper/src/net/ip.js';

function established() {
  const net = new VirtualNetwork();
  const a = net.addNode('a', '192.0.2.1:51820');
  const b = net.addNode('b', '192.0.2.2:51820');
  net.connect(a, b, ['10.0.0.2/32']);
  net.connect(b, a, ['10.0.0.1/32']);
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  return { net, a, b };
}

const totalDrops = (drops: Map<string, number>) => [...drops.values()].reduce((x, y) => x + y, 0);
const source = parseEndpoint('198.51.100.9:4444')!;

/** Feeds each generated datagram to an established responder: exactly one drop each, nothing delivered. */
function assertEachDroppedOnce(datagrams: fc.Arbitrary<Uint8Array>): void {
  const { b } = established();
  fc.assert(
    fc.property(datagrams, (datagram) => {
      const before = totalDrops(b.device.drops);
      b.device.handleDatagram(datagram, source);
      b.device.flush();
      assert.equal(totalDrops(b.device.drops), before + 1);
    }),
    { numRuns: 2000 },
  );
  assert.equal(b.received.length, 1);
}

test('random datagrams are dropped and counted, never thrown', () => {
  assertEachDroppedOnce(fc.uint8Array({ maxLength: 2000 }));
});

test('datagrams of every type with the right length and random contents are dropped, never thrown', () => {
  const shaped = fc
    .tuple(fc.constantFrom([1, 148], [2, 92], [3, 64], [4, 32], [4, 100], [4, 1500]), fc.uint8Array({ minLength: 1500, maxLength: 1500 }))
    .map(([[type, length], body]) => {
      const datagram = body.subarray(0, length!);
      datagram.set([type!, 0, 0, 0]);
      return datagram;
    });
  assertEachDroppedOnce(shaped);
});

test('valid messages with one bit flipped are rejected', () => {
  const { a, b } = established();
  const messages = a.sent.map((s) => s.datagram);
  fc.assert(
    fc.property(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 7 }), (which, position, bit) => {
      const message = Uint8Array.from(messages[which % messages.length]!);
      // Bytes 1–3 are reserved; flipping them makes a malformed message, also dropped.
      message[position % message.length]! ^= 1 << bit;
      const received = b.received.length;
      b.device.handleDatagram(message, a.endpoint);
      b.device.flush();
      assert.equal(b.received.length, received);
    }),
    { numRuns: 1000 },
  );
});

test('random TUN packets are routed, answered with ICMP, or dropped and counted, never thrown', () => {
  const { a } = established();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1600 }), (packet) => {
      a.device.handleTunPacket(packet);
      a.device.flush();
    }),
    { numRuns: 2000 },
  );
  assert.ok((a.device.drops.get('malformed') ?? 0) > 0);
});
