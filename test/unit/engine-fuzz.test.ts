// Whatever arrives from the TUN, the device routes, answers with ICMP, or drops
// and counts, and never throws. What arrives from the network is fuzzed in
// test/fuzz/engine-target.ts (test/unit/fuzz.test.ts runs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VirtualNetwork, ipv4Packet } from './support/virtual-network.js';

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
