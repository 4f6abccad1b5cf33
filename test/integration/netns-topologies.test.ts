// The netns.sh scenarios that leave its loopback topology, where each daemon
// and its UDP live in the namespace of its own tunnel interface: a peer behind
// NAT kept reachable by persistent keepalives, wg-quick's fwmark policy
// routing under a ping flood, a tunnel routed through itself, and the source
// address a daemon sends from: sticky to the address its peer wrote to, but
// not past that address's removal or a change of route.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { showDump, showOnlyPeer } from './harness/dump.js';
import { withLab, type Lab } from './harness/lab.js';
import type { Namespace } from './harness/namespace.js';
import { connectTunnelSide, createTunnelPair, endpointOf, startTunnelSide, type TunnelSide } from './harness/pair.js';
import { ping } from './harness/ping.js';
import {
  ANSWER_SECONDS,
  assertAnswered,
  describePair,
  WIREFLY_AND_WIREGUARD_GO,
  type Pair,
} from './harness/scenario.js';
import { addAddress, moveAddress } from './harness/veth.js';
import { sleep } from './harness/wait.js';
import { generateKeyPair, upTunnelInterface, wgSet } from './harness/wg.js';
import { wirefly, wireguardGo } from './harness/wireguard.js';

/** One echo, answered within a second or not at all: a retry would let a keepalive sent meanwhile repair the path. */
async function answeredAtOnce(from: TunnelSide, address: string): Promise<boolean> {
  return (await ping(from.ns, address, { count: 1, replyWaitSeconds: 1 })).received === 1;
}

async function sysctl(ns: Namespace, setting: string): Promise<void> {
  await ns.exec('sysctl', ['-qw', setting]);
}

/** Conntrack forgets a UDP flow this many seconds after its last datagram. */
const NAT_TIMEOUT_SECONDS = 2;

interface NatTopology {
  readonly a: TunnelSide;
  readonly b: TunnelSide;
  /** Where b sees a: the router's outside address, a's port. */
  readonly translated: string;
}

/**
 * a behind a router that masquerades its inside network, b outside; b has no
 * route to a's network, so it reaches a only through the router's translation.
 */
async function createNatTopology(lab: Lab, [implementationA, implementationB]: Pair): Promise<NatTopology> {
  const client = await lab.namespace();
  const router = await lab.namespace();
  const server = await lab.namespace();
  const inside = await lab.link(client, router);
  const outside = await lab.link(router, server);
  await client.exec('ip', ['route', 'add', 'default', 'via', inside.b.v4]);
  await sysctl(router, 'net.ipv4.ip_forward=1');
  await router.exec('nft', ['-f', '-'], {
    input: [
      'table ip nat {',
      '  chain postrouting {',
      '    type nat hook postrouting priority srcnat;',
      `    ip saddr ${inside.a.v4}/24 ip daddr ${outside.b.v4}/24 snat to ${outside.a.v4}`,
      '  }',
      '}',
      '',
    ].join('\n'),
  });
  await sysctl(router, `net.netfilter.nf_conntrack_udp_timeout=${NAT_TIMEOUT_SECONDS}`);
  await sysctl(router, `net.netfilter.nf_conntrack_udp_timeout_stream=${NAT_TIMEOUT_SECONDS}`);
  const a = await startTunnelSide(lab, implementationA, client, 'a');
  const b = await startTunnelSide(lab, implementationB, server, 'b');
  await connectTunnelSide(a, b, `${outside.b.v4}:${b.listenPort}`);
  await connectTunnelSide(b, a, undefined);
  return { a, b, translated: `${outside.a.v4}:${a.listenPort}` };
}

describe('NAT and persistent keepalive', () => {
  for (const pairOf of WIREFLY_AND_WIREGUARD_GO) {
    test(`${describePair(pairOf)}: a behind NAT stays reachable from b with keepalives, and only with them`, (t) =>
      withLab(t, async (lab) => {
        const { a, b, translated } = await createNatTopology(lab, pairOf);
        await wgSet(a.ns, a.ifname, { peers: [{ publicKey: b.keys.publicKey, persistentKeepalive: 1 }] });
        await assertAnswered(a, b.tunnelV4, 'out through the NAT');
        await assertAnswered(b, a.tunnelV4, 'back in through the NAT');
        assert.equal((await showOnlyPeer(b.ns, b.ifname)).endpoint, translated);

        await sleep((NAT_TIMEOUT_SECONDS + 1) * 1000);
        assert.ok(await answeredAtOnce(b, a.tunnelV4), `${a.implementation}'s keepalives did not keep the translation`);

        await wgSet(a.ns, a.ifname, { peers: [{ publicKey: b.keys.publicKey, persistentKeepalive: 0 }] });
        await sleep((NAT_TIMEOUT_SECONDS + 1) * 1000);
        assert.ok(
          !(await answeredAtOnce(b, a.tunnelV4)),
          'without keepalives the translation should have expired: the test proves nothing',
        );
      }));
  }
});

const FWMARK = 51820;
const ROUTED_V4 = '10.79.0.7';
const ROUTED_V6 = 'fd79::7';
const FLOOD_PINGS = 100;

describe('fwmark policy routing', () => {
  for (const pairOf of WIREFLY_AND_WIREGUARD_GO) {
    test(`${describePair(pairOf)}: a routes everything into the tunnel except its own marked datagrams; ping floods`, (t) =>
      withLab(t, async (lab) => {
        const { a, b } = await createTunnelPair(lab, ...pairOf);
        await b.ns.exec('ip', ['address', 'add', `${ROUTED_V4}/32`, 'dev', b.ifname]);
        await b.ns.exec('ip', ['address', 'add', `${ROUTED_V6}/128`, 'dev', b.ifname, 'nodad']);
        await a.ns.exec('wg', [
          'set',
          a.ifname,
          'fwmark',
          String(FWMARK),
          'peer',
          b.keys.publicKey,
          'allowed-ips',
          `${ROUTED_V4}/32,${ROUTED_V6}/128`,
        ]);
        // A default route in the main table as well, which the suppressing rule must pass over.
        await a.ns.exec('ip', ['-6', 'route', 'add', 'default', 'via', b.outer.v6]);
        for (const family of ['-4', '-6']) {
          await a.ns.exec('ip', [family, 'route', 'add', 'default', 'dev', a.ifname, 'table', String(FWMARK)]);
          await a.ns.exec('ip', [family, 'rule', 'add', 'not', 'fwmark', String(FWMARK), 'table', String(FWMARK)]);
          await a.ns.exec('ip', [family, 'rule', 'add', 'table', 'main', 'suppress_prefixlength', '0']);
        }
        for (const address of [ROUTED_V4, ROUTED_V6]) {
          const flood = await ping(a.ns, address, { count: FLOOD_PINGS, flood: true, deadlineSeconds: 10 });
          assert.equal(
            flood.received,
            FLOOD_PINGS,
            `flood to ${address}: ${flood.received} of ${flood.transmitted} answered`,
          );
        }
        assert.equal((await showDump(a.ns, a.ifname)).peers[0]!.endpoint, endpointOf(b, 4));
      }));
  }
});

const ONION_V4 = { a: '10.80.0.1', c: '10.80.0.2' };
const ONION_PORT = 52005;
const ONION_PINGS = 10;
/** Each time round a packet grows by its WireGuard and IPv4/UDP headers, until it no longer fits the MTU of 1420. */
const MAX_ROUNDS_PER_PACKET = Math.ceil(1420 / (32 + 28));

describe('a tunnel routed through itself', () => {
  test(`${wirefly.label} (a) ↔ ${wireguardGo.label} (b): a third peer reached through b, then at an address inside its own allowed IPs`, (t) =>
    withLab(t, async (lab) => {
      const { a, b } = await createTunnelPair(lab, wirefly, wireguardGo);
      const c = { ns: b.ns, ifname: lab.tunnelInterfaceName() };
      await wireguardGo.start(c.ns, c.ifname);
      const cKeys = await generateKeyPair(lab.dir);
      await wgSet(c.ns, c.ifname, {
        privateKeyFile: cKeys.privateKeyFile,
        listenPort: ONION_PORT,
        peers: [{ publicKey: a.keys.publicKey, allowedIps: [`${ONION_V4.a}/32`] }],
      });
      await upTunnelInterface(c.ns, c.ifname, [`${ONION_V4.c}/24`], 1420);
      // a reaches c through its tunnel to b, where c listens.
      await wgSet(a.ns, a.ifname, {
        peers: [
          { publicKey: cKeys.publicKey, allowedIps: [`${ONION_V4.c}/32`], endpoint: `${b.tunnelV4}:${ONION_PORT}` },
        ],
      });
      await a.ns.exec('ip', ['address', 'add', `${ONION_V4.a}/24`, 'dev', a.ifname]);
      const onion = await ping(a.ns, ONION_V4.c, { count: 1, deadlineSeconds: ANSWER_SECONDS });
      assert.ok(onion.received >= 1, 'a reaches c through b');

      await c.ns.exec('ip', ['link', 'del', c.ifname]);
      await wgSet(a.ns, a.ifname, { peers: [{ publicKey: cKeys.publicKey, endpoint: `${ONION_V4.c}:${ONION_PORT}` }] });
      const sentToC = async (): Promise<number> =>
        (await showDump(a.ns, a.ifname)).peers.find((peer) => peer.publicKey === cKeys.publicKey)!.txBytes;
      const before = await sentToC();
      const flood = await ping(a.ns, ONION_V4.c, { count: ONION_PINGS, flood: true, replyWaitSeconds: 1 });
      assert.equal(flood.received, 0);
      await sleep(1000);
      const afterFlood = await sentToC();
      await sleep(1000);
      const sent = afterFlood - before;
      t.diagnostic(`a sent ${sent} B to c for ${ONION_PINGS} pings`);
      assert.equal(await sentToC(), afterFlood, 'the loop went on after the pings');
      assert.ok(sent <= ONION_PINGS * MAX_ROUNDS_PER_PACKET * (1420 + 32), `a sent ${sent} B for ${ONION_PINGS} pings`);
      await a.ns.exec('wg', ['set', a.ifname, 'peer', cKeys.publicKey, 'remove']);
      await assertAnswered(a, b.tunnelV4, 'a still reaches b once the loop is gone');
    }));
});

// The source address a daemon sends from is sticky: the one its peer wrote to.
// Not too sticky: an address that went away, or a route that now leaves by
// another interface, gives way to what routing picks.
describe('sticky source addresses', () => {
  test(`${wirefly.label} (a) ↔ ${wireguardGo.label} (b): a's source address removed under it, IPv4 then IPv6`, (t) =>
    withLab(t, async (lab) => {
      const pair = await createTunnelPair(lab, wirefly, wireguardGo);
      await assertMovesOn(pair);
    }));

  test(`${wireguardGo.label} (a) ↔ ${wirefly.label} (b): a's source address removed under it, shown only`, (t) =>
    withLab(t, async (lab) => {
      // Debian's wireguard-go keeps sending from the address that went away.
      const pair = await createTunnelPair(lab, wireguardGo, wirefly);
      try {
        await assertMovesOn(pair);
        t.diagnostic('wireguard-go moved on');
      } catch (error) {
        t.diagnostic(`wireguard-go did not move on: ${(error as Error).message.split('\n')[0]}`);
      }
    }));

  for (const pairOf of [
    [wirefly, wireguardGo],
    [wireguardGo, wirefly],
  ] as const) {
    test(`${describePair(pairOf)}: a answers from whichever of its addresses b writes to`, (t) =>
      withLab(t, async (lab) => {
        const { a, b } = await createTunnelPair(lab, ...pairOf);
        const second = { v4: '10.99.1.3', v6: 'fd99:0:0:1::3' };
        const primary = { v4: a.outer.v4, v6: a.outer.v6 };
        await addAddress(a.outer, second.v4);
        await addAddress(a.outer, second.v6);
        for (const target of [primary.v4, `[${primary.v6}]`, second.v4, `[${second.v6}]`]) {
          const endpoint = `${target}:${a.listenPort}`;
          await wgSet(b.ns, b.ifname, { peers: [{ publicKey: a.keys.publicKey, endpoint }] });
          await assertAnswered(b, a.tunnelV4, `to ${endpoint}`);
          assert.equal(
            (await showOnlyPeer(b.ns, b.ifname)).endpoint,
            endpoint,
            `${a.implementation} did not answer from ${target}`,
          );
        }
      }));
  }

  for (const pairOf of [
    [wirefly, wireguardGo],
    [wireguardGo, wirefly],
  ] as const) {
    test(`${describePair(pairOf)}: a answers from an address of another interface than the one the reply leaves by`, (t) =>
      withLab(t, async (lab) => {
        const { a, b } = await createTunnelPair(lab, ...pairOf);
        // netns.sh uses a dummy interface, which this kernel may lack; a link to a namespace of its own serves.
        const other = await lab.link(a.ns, await lab.namespace());
        await b.ns.exec('ip', ['route', 'add', `${other.a.v4}/32`, 'dev', b.outer.device]);
        const endpoint = `${other.a.v4}:${a.listenPort}`;
        await wgSet(b.ns, b.ifname, { peers: [{ publicKey: a.keys.publicKey, endpoint }] });
        await assertAnswered(b, a.tunnelV4, `to ${endpoint}`);
        assert.equal((await showOnlyPeer(b.ns, b.ifname)).endpoint, endpoint);
      }));
  }

  // The kernel compares the route's interface with the one the source came
  // by at every send; Wirefly checks when routes change (runtime/sticky-sources.ts).
  for (const pairOf of [
    [wireguardGo, wirefly],
    [wirefly, wireguardGo],
  ] as const) {
    test(`${describePair(pairOf)}: a preferred route by another interface takes a's source with it`, (t) =>
      withLab(t, async (lab) => {
        const { a, b } = await createTunnelPair(lab, ...pairOf);
        const second = await lab.link(a.ns, b.ns);
        const subnet = `${a.outer.v4.replace(/\d+$/, '0')}/24`;
        for (const ns of [a.ns, b.ns]) await sysctl(ns, 'net.ipv4.conf.all.rp_filter=0');
        await a.ns.exec('ip', ['route', 'del', subnet, 'dev', a.outer.device]);
        await a.ns.exec('ip', ['route', 'add', subnet, 'dev', a.outer.device, 'src', a.outer.v4, 'metric', '2']);
        await assertAnswered(a, b.tunnelV4, 'by the first link');
        assert.equal((await showOnlyPeer(b.ns, b.ifname)).endpoint, `${a.outer.v4}:${a.listenPort}`);

        await a.ns.exec('ip', ['route', 'add', subnet, 'dev', second.a.device, 'src', second.a.v4, 'metric', '1']);
        await assertAnswered(a, b.tunnelV4, 'by the preferred link');
        const seen = (await showOnlyPeer(b.ns, b.ifname)).endpoint;
        t.diagnostic(`after the route change b sees ${a.implementation} at ${seen}`);
        assert.equal(seen, `${second.a.v4}:${a.listenPort}`, `${a.implementation} kept its source from the other link`);
      }));
  }
});

async function assertMovesOn({ a, b }: Awaited<ReturnType<typeof createTunnelPair>>): Promise<void> {
  await assertAnswered(a, b.tunnelV4, 'from the first IPv4 address');
  await moveAddress(a.outer, '10.99.1.10');
  await assertAnswered(a, b.tunnelV4, 'from the new IPv4 address');
  await wgSet(a.ns, a.ifname, { peers: [{ publicKey: b.keys.publicKey, endpoint: endpointOf(b, 6) }] });
  await assertAnswered(a, b.tunnelV4, 'from the first IPv6 address');
  await moveAddress(a.outer, 'fd99:0:0:1::10');
  await assertAnswered(a, b.tunnelV4, 'from the new IPv6 address');
}
