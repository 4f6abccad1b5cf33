// The scenarios of the kernel's and wireguard-go's netns.sh that run in its
// own topology (both daemons in one namespace, whose loopback carries their
// UDP; each tunnel interface in a namespace of its own): padding under a
// route MTU, roaming to a new source, the allowed-IPs check on what a peer
// sends, keys and listen ports changed live, WireGuard inside WireGuard and a
// routing loop between two tunnels. Ping, TCP and UDP at MTUs 1420 and 34736
// over IPv4 and IPv6 are jumbo-mtu.test.ts's; the scenarios that need other
// topologies are in netns-topologies.test.ts and netns-control.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { showDump, showOnlyPeer, type PeerStatus } from './harness/dump.js';
import { withLab } from './harness/lab.js';
import { createLoopbackPair, type LoopbackPair } from './harness/loopback-pair.js';
import { createNestedPair } from './harness/nested-pair.js';
import { tunnelAddress, type TunnelSide, type Tunnels } from './harness/pair.js';
import { echoPacketBytes, fullSizePayload, ping } from './harness/ping.js';
import {
  ANSWER_SECONDS,
  assertAnswered,
  describePair,
  WIREFLY_AND_WIREGUARD_GO,
  type Pair,
} from './harness/scenario.js';
import { tcpTransfer } from './harness/transfer.js';
import { sendUdpDatagram, UdpListener } from './harness/udp-datagram.js';
import { udpProbe } from './harness/udp-probe.js';
import { sleep, waitFor } from './harness/wait.js';
import { generateKeyPair, wgSet } from './harness/wg.js';
import { TRANSPORT_OVERHEAD_BYTES } from './harness/wire-sizes.js';
import { wirefly, wireguardGo } from './harness/wireguard.js';

async function peerStatus(self: TunnelSide, publicKey: string): Promise<PeerStatus> {
  const peer = (await showDump(self.ns, self.ifname)).peers.find((status) => status.publicKey === publicKey);
  if (!peer) throw new Error(`${self.implementation} has no peer ${publicKey}`);
  return peer;
}

async function setListenPort(hub: LoopbackPair['hub'], side: TunnelSide, port: number): Promise<void> {
  await wgSet(hub, side.ifname, { listenPort: port });
  side.listenPort = port;
}

// Padding rounds a packet up to 16 bytes, which must not take it past the MTU
// of the route it came by: the kernel pads to that route's MTU. Both links here
// have MTU 1300 and the route to the peer MTU 1299, so a 1297-byte packet
// padded to the link's MTU would leave as a 1360-byte IPv4 datagram, which the
// hub drops, as netns.sh's does.
const PADDING_LINK_MTU = 1300;
const PADDING_ROUTE_MTU = 1299;
const PADDING_PACKET_BYTES = 1297;
const DATAGRAM_PADDED_TO_LINK_MTU = 20 + 8 + TRANSPORT_OVERHEAD_BYTES + PADDING_LINK_MTU;

describe('route MTU and padding', () => {
  for (const pairOf of [
    [wirefly, wirefly],
    [wirefly, wireguardGo],
  ] as const) {
    test(`${describePair(pairOf)}: a packet within the route MTU is not padded past it`, (t) =>
      withLab(t, async (lab) => {
        const tunnels = await createLoopbackPair(lab, ...pairOf, { mtu: PADDING_LINK_MTU });
        const checked = [tunnels.a, tunnels.b].filter((side) => side.implementation === 'wirefly');
        const ports = checked.map((side) => side.listenPort).join(', ');
        await tunnels.hub.exec('nft', ['-f', '-'], {
          input: [
            'table ip padding {',
            '  chain input {',
            '    type filter hook input priority 0;',
            `    ip length ${DATAGRAM_PADDED_TO_LINK_MTU} udp sport { ${ports} } drop`,
            '  }',
            '}',
            '',
          ].join('\n'),
        });
        for (const [self, other] of [
          [tunnels.a, tunnels.b],
          [tunnels.b, tunnels.a],
        ] as const) {
          await self.ns.exec('ip', [
            'route',
            'add',
            `${other.tunnelV4}/32`,
            'dev',
            self.ifname,
            'mtu',
            String(PADDING_ROUTE_MTU),
          ]);
        }
        await assertAnswered(tunnels.b, tunnels.a.tunnelV4, 'session');
        const before = {
          a: await showOnlyPeer(tunnels.a.ns, tunnels.a.ifname),
          b: await showOnlyPeer(tunnels.b.ns, tunnels.b.ifname),
        };
        const payloadBytes = PADDING_PACKET_BYTES - echoPacketBytes(4, 0);
        const result = await ping(tunnels.b.ns, tunnels.a.tunnelV4, {
          count: 1,
          payloadBytes,
          deadlineSeconds: ANSWER_SECONDS,
        });
        assert.ok(
          result.received >= 1,
          `a ${PADDING_PACKET_BYTES}-byte ping under a route MTU of ${PADDING_ROUTE_MTU} got no reply`,
        );
        await waitFor(
          'the reply to be counted',
          async () => (await showOnlyPeer(tunnels.a.ns, tunnels.a.ifname)).txBytes > before.a.txBytes,
        );
        for (const side of [tunnels.a, tunnels.b]) {
          const sent =
            (await showOnlyPeer(side.ns, side.ifname)).txBytes - before[side === tunnels.a ? 'a' : 'b'].txBytes;
          const message = sent / result.transmitted;
          t.diagnostic(
            `${side.implementation} sent a ${PADDING_PACKET_BYTES}-byte packet as a ${message}-byte message`,
          );
          if (side.implementation !== 'wirefly') continue;
          assert.ok(
            message >= TRANSPORT_OVERHEAD_BYTES + PADDING_PACKET_BYTES &&
              message <= TRANSPORT_OVERHEAD_BYTES + PADDING_ROUTE_MTU,
            `${side.implementation}: a ${PADDING_PACKET_BYTES}-byte packet became a ${message}-byte message, padded beyond the route MTU of ${PADDING_ROUTE_MTU}`,
          );
        }
      }));
  }
});

describe('roaming to a new source address and port', () => {
  for (const pairOf of [...WIREFLY_AND_WIREGUARD_GO, [wirefly, wirefly] as const]) {
    test(`${describePair(pairOf)}: b follows a to a new address and port, over IPv4 and then IPv6`, (t) =>
      withLab(t, async (lab) => {
        const { hub, a, b } = await createLoopbackPair(lab, ...pairOf);
        await assertAnswered(a, b.tunnelV4, 'session');
        // The hub's loopback loses 127.0.0.1: a's datagrams to 127.0.0.1 now leave from the new address.
        await hub.exec('ip', ['-4', 'address', 'del', '127.0.0.1/8', 'dev', 'lo']);
        await hub.exec('ip', ['-4', 'address', 'add', '127.212.121.99/8', 'dev', 'lo']);
        await setListenPort(hub, a, 9999);
        await wgSet(hub, a.ifname, { peers: [{ publicKey: b.keys.publicKey, endpoint: `127.0.0.1:${b.listenPort}` }] });
        await assertAnswered(a, b.tunnelV6, 'after the move to 127.212.121.99');
        assert.equal(
          (await showOnlyPeer(b.ns, b.ifname)).endpoint,
          '127.212.121.99:9999',
          `${b.implementation} did not follow a to its new IPv4 source`,
        );

        await setListenPort(hub, a, 9998);
        await wgSet(hub, a.ifname, { peers: [{ publicKey: b.keys.publicKey, endpoint: `[::1]:${b.listenPort}` }] });
        await assertAnswered(a, b.tunnelV4, 'after the move to IPv6');
        assert.equal(
          (await showOnlyPeer(b.ns, b.ifname)).endpoint,
          '[::1]:9998',
          `${b.implementation} did not follow a to IPv6`,
        );
      }));
  }
});

describe('allowed IPs check what a peer sends', () => {
  for (const pairOf of WIREFLY_AND_WIREGUARD_GO) {
    test(`${describePair(pairOf)}: a drops what b sends from an address a routes to another peer, and still follows b's port`, (t) =>
      withLab(t, async (lab) => {
        const { hub, a, b } = await createLoopbackPair(lab, ...pairOf);
        await wgSet(hub, a.ifname, { peers: [{ publicKey: b.keys.publicKey, allowedIps: ['10.77.0.0/24'] }] });
        const listener = await UdpListener.start(a.ns);
        await sendUdpDatagram(b.ns, a.tunnelV4, 'X');
        await waitFor('the first datagram from b', () => listener.received === 'X');

        const moreSpecific = await generateKeyPair(lab.dir);
        await wgSet(hub, a.ifname, {
          peers: [{ publicKey: moreSpecific.publicKey, allowedIps: [`${b.tunnelV4}/32`] }],
        });
        await setListenPort(hub, b, b.listenPort + 200);
        await sendUdpDatagram(b.ns, a.tunnelV4, 'Y');
        // The datagram authenticates as b's, so a learns b's new port from it before refusing its source.
        const newEndpoint = `127.0.0.1:${b.listenPort}`;
        await waitFor(
          `${a.implementation} to see b at ${newEndpoint}`,
          async () => (await peerStatus(a, b.keys.publicKey)).endpoint === newEndpoint,
        );

        await hub.exec('wg', ['set', a.ifname, 'peer', moreSpecific.publicKey, 'remove']);
        await sendUdpDatagram(b.ns, a.tunnelV4, 'Z');
        // Datagrams of one flow arrive in order: had Y got through, it would be before Z.
        await waitFor('the datagram sent after the more specific peer went', () => listener.received.endsWith('Z'));
        assert.equal(
          listener.received,
          'XZ',
          `${a.implementation} let in a datagram whose source belongs to another peer`,
        );
        assert.equal((await showOnlyPeer(a.ns, a.ifname)).endpoint, newEndpoint);
        await listener.stop();
      }));
  }
});

describe('keys and listen ports changed live', () => {
  for (const pairOf of WIREFLY_AND_WIREGUARD_GO) {
    test(`${describePair(pairOf)}: a new private key on a, b's peer swapped for it, a new port on b: sessions at once`, (t) =>
      withLab(t, async (lab) => {
        const { hub, a, b } = await createLoopbackPair(lab, ...pairOf);
        await assertAnswered(a, b.tunnelV4, 'session under the first key');
        const newKey = await generateKeyPair(lab.dir);
        await wgSet(hub, a.ifname, { privateKeyFile: newKey.privateKeyFile });
        await hub.exec('wg', [
          'set',
          b.ifname,
          'peer',
          newKey.publicKey,
          'allowed-ips',
          `${a.tunnelV4}/32,${a.tunnelV6}/128`,
          'peer',
          a.keys.publicKey,
          'remove',
        ]);
        await assertAnswered(a, b.tunnelV4, 'under the new key');
        const { peers } = await showDump(b.ns, b.ifname);
        assert.deepEqual(
          peers.map((peer) => peer.publicKey),
          [newKey.publicKey],
        );
        assert.ok(peers[0]!.latestHandshake > 0, `${b.implementation} reports no handshake with the new key`);

        // b moves to a new port; a hears of it from b's first packet.
        await setListenPort(hub, b, b.listenPort + 300);
        await assertAnswered(b, a.tunnelV6, 'from the new port');
        assert.equal((await showOnlyPeer(a.ns, a.ifname)).endpoint, `127.0.0.1:${b.listenPort}`);
        await assertAnswered(a, b.tunnelV6, 'to the new port');
      }));
  }
});

const INNER_MTU = 1340;
const INNER_TCP_BYTES = 4 * 1000 * 1000;
const INNER_UDP_DATAGRAMS = 20;
const UDP_HEADERS = { 4: 20 + 8, 6: 40 + 8 } as const;

async function assertCarriesFullSize(tunnels: Tunnels, mtu: number): Promise<void> {
  for (const [from, to] of [
    [tunnels.a, tunnels.b],
    [tunnels.b, tunnels.a],
  ] as const) {
    for (const family of [4, 6] as const) {
      const address = tunnelAddress(to, family);
      const where = `${from.implementation} → ${to.implementation}, IPv${family}`;
      const echo = await ping(from.ns, address, {
        count: 2,
        payloadBytes: fullSizePayload(family, mtu),
        dontFragment: true,
        deadlineSeconds: 5,
      });
      assert.ok(echo.received >= 2, `${where}: full-size pings`);
      const udp = await udpProbe(from.ns, to.ns, address, mtu - UDP_HEADERS[family], INNER_UDP_DATAGRAMS);
      assert.deepEqual(
        udp,
        { sent: INNER_UDP_DATAGRAMS, intact: INNER_UDP_DATAGRAMS, corrupt: 0 },
        `${where}: full-size UDP`,
      );
    }
    const tcp = await tcpTransfer(from.ns, to.ns, to.tunnelV4, { bytes: INNER_TCP_BYTES });
    assert.equal(tcp.receivedSha256, tcp.sentSha256, `${from.implementation} → ${to.implementation}: TCP SHA-256`);
  }
}

describe('WireGuard inside WireGuard', () => {
  const layouts: readonly { readonly outer: Pair; readonly inner: Pair }[] = [
    { outer: [wirefly, wireguardGo], inner: [wirefly, wireguardGo] },
    { outer: [wirefly, wireguardGo], inner: [wireguardGo, wirefly] },
    { outer: [wirefly, wirefly], inner: [wirefly, wirefly] },
  ];
  for (const { outer, inner } of layouts) {
    test(`inner ${describePair(inner)} through outer ${describePair(outer)}: ping, UDP and TCP at the inner MTU`, (t) =>
      withLab(t, async (lab) => {
        const carrier = await createLoopbackPair(lab, ...outer);
        const nested = await createNestedPair(lab, carrier, ...inner, INNER_MTU);
        await assertCarriesFullSize(nested, INNER_MTU);
      }));
  }
});

/** netns.sh's bound on what a looping tunnel may send for ten flooded pings in a second. */
const LOOP_TX_LIMIT_BYTES = 70_000;
const LOOP_PINGS = 10;

describe('routing loops stay bounded', () => {
  // The loop runs through the a sides. A Wirefly on the outer one bounds it
  // whatever the inner is; as the inner only, it cannot: wireguard-go fragments
  // what it sends, and the fragments of every round go round again.
  const layouts: readonly { readonly outer: Pair; readonly inner: Pair }[] = [
    { outer: [wirefly, wireguardGo], inner: [wirefly, wireguardGo] },
    { outer: [wirefly, wireguardGo], inner: [wireguardGo, wirefly] },
  ];
  for (const { outer, inner } of layouts) {
    test(`outer ${describePair(outer)}, inner ${describePair(inner)}: each tunnel's endpoint lies inside the other`, (t) =>
      withLab(t, async (lab) => {
        const carrier = await createLoopbackPair(lab, ...outer);
        const nested = await createNestedPair(lab, carrier, ...inner, INNER_MTU);
        const { hub } = carrier;
        // The inner interface moves to the hub; its daemon and UDP stay behind, carried by the outer tunnel.
        await nested.a.ns.exec('ip', ['link', 'set', nested.a.ifname, 'netns', hub.name]);
        await hub.exec('ip', ['address', 'add', `${nested.a.tunnelV4}/24`, 'dev', nested.a.ifname]);
        await hub.exec('ip', ['link', 'set', nested.a.ifname, 'mtu', String(INNER_MTU), 'up']);
        const fromHub = await ping(hub, nested.b.tunnelV4, { count: 1, deadlineSeconds: ANSWER_SECONDS });
        assert.ok(fromHub.received >= 1, "the inner tunnel carries the hub's ping");
        // The outer tunnel's peer is now reached through the inner tunnel, which the outer one carries.
        await wgSet(hub, carrier.a.ifname, {
          peers: [{ publicKey: carrier.b.keys.publicKey, endpoint: `${nested.b.tunnelV4}:7` }],
        });
        for (const side of [nested.b, carrier.b]) await side.ns.exec('ip', ['link', 'del', side.ifname]);

        const before = await showOnlyPeer(hub, nested.a.ifname);
        const flood = await ping(hub, nested.b.tunnelV4, { count: LOOP_PINGS, flood: true, replyWaitSeconds: 1 });
        assert.deepEqual([flood.transmitted, flood.received], [LOOP_PINGS, 0]);
        await sleep(1000);
        const sent = (await showOnlyPeer(hub, nested.a.ifname)).txBytes - before.txBytes;
        t.diagnostic(`inner ${nested.a.implementation} sent ${sent} B for ${LOOP_PINGS} pings`);
        assert.ok(
          sent < LOOP_TX_LIMIT_BYTES,
          `inner ${nested.a.implementation} sent ${sent} B for ${LOOP_PINGS} pings`,
        );
      }));
  }
});
