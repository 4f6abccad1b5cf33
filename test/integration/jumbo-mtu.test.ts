// Tunnels from the smallest MTU IPv6 allows up to what a UDP datagram can
// carry, in the netns.sh topology (both daemons' UDP on one namespace's
// loopback, MTU 65536, so the outer path never limits them): at each MTU, a
// full-size ping that may not fragment, full-size UDP datagrams echoed back,
// every one checked, and TCP each way with its SHA-256 intact, for IPv4 and
// IPv6 inside and outside the tunnel.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Lab } from './harness/lab.js';
import { createLoopbackPair, setTunnelMtu, type LoopbackPair } from './harness/loopback-pair.js';
import type { TunnelSide } from './harness/pair.js';
import { fullSizePayload, ping } from './harness/ping.js';
import { tcpTransfer } from './harness/transfer.js';
import { udpProbe } from './harness/udp-probe.js';
import { wirefly, wireguardGo, type WireGuardImplementation } from './harness/wireguard.js';

const MTUS = [1280, 1420, 9000, 34736, 65000];
const TCP_BYTES = 16 * 1000 * 1000;
const UDP_DATAGRAMS = 100;
const UDP_HEADERS = { 4: 20 + 8, 6: 40 + 8 } as const;

const PAIRS: readonly (readonly [WireGuardImplementation, WireGuardImplementation])[] = [
  [wirefly, wirefly],
  [wirefly, wireguardGo],
];

async function assertCarries(tunnels: LoopbackPair, mtu: number): Promise<void> {
  const directions: readonly (readonly [TunnelSide, TunnelSide])[] = [
    [tunnels.a, tunnels.b],
    [tunnels.b, tunnels.a],
  ];
  for (const [from, to] of directions) {
    for (const family of [4, 6] as const) {
      const address = family === 4 ? to.tunnelV4 : to.tunnelV6;
      const where = `${from.implementation} → ${to.implementation}, IPv${family} inside`;
      const echo = await ping(from.ns, address, {
        count: 3,
        payloadBytes: fullSizePayload(family, mtu),
        dontFragment: true,
        deadlineSeconds: 10,
      });
      assert.equal(echo.received, 3, `${where}: full-size pings`);
      const udp = await udpProbe(from.ns, to.ns, address, mtu - UDP_HEADERS[family], UDP_DATAGRAMS);
      assert.deepEqual(
        udp,
        { sent: UDP_DATAGRAMS, intact: UDP_DATAGRAMS, corrupt: 0 },
        `${where}: full-size UDP datagrams and their echoes`,
      );
    }
    const tcp = await tcpTransfer(from.ns, to.ns, to.tunnelV4, { bytes: TCP_BYTES });
    assert.equal(tcp.receivedBytes, TCP_BYTES, `${from.implementation} → ${to.implementation}: TCP bytes`);
    assert.equal(tcp.receivedSha256, tcp.sentSha256, `${from.implementation} → ${to.implementation}: TCP SHA-256`);
  }
}

for (const [a, b] of PAIRS) {
  for (const outerFamily of [4, 6] as const) {
    describe(`${a.label} ↔ ${b.label}, IPv${outerFamily} outer on a loopback`, () => {
      let lab: Lab;
      let tunnels: LoopbackPair;
      before(async () => {
        lab = await Lab.create();
        tunnels = await createLoopbackPair(lab, a, b, { outerFamily });
      });
      after(() => lab.cleanup());
      for (const mtu of MTUS) {
        test(`MTU ${mtu}: full-size ping, UDP and TCP each way`, async () => {
          await setTunnelMtu(tunnels, mtu);
          await assertCarries(tunnels, mtu);
        });
      }
    });
  }
}
