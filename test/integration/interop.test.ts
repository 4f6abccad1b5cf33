// Wirefly against wireguard-go and against itself, in network namespaces,
// configured with the real `wg`: handshakes from either side, IPv4 and IPv6
// inside and outside the tunnel, preshared keys, wrong keys, bulk TCP, roaming,
// and what `wg show` reports about all of it.
//
// WIREFLY_INTEROP_PAIRS chooses the pairs, e.g. "wireguard-go:wireguard-go" to
// check the harness itself; the default is the pairs Wirefly must pass.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { showOnlyPeer, type PeerStatus } from './harness/dump.js';
import { withLab } from './harness/lab.js';
import {
  changeListenPort,
  createTunnelPair,
  endpointOf,
  TUNNEL_MTU,
  tunnelAddress,
  type TunnelPair,
  type TunnelPeer,
} from './harness/pair.js';
import { echoPacketBytes, fullSizePayload, ping, PING_PAYLOAD_BYTES } from './harness/ping.js';
import { udpReceiveErrors } from './harness/snmp.js';
import { TcpTransfer, tcpTransfer } from './harness/transfer.js';
import { moveAddress } from './harness/veth.js';
import { sleep } from './harness/wait.js';
import {
  HANDSHAKE_INITIATION_BYTES,
  HANDSHAKE_RESPONSE_BYTES,
  KEEPALIVE_BYTES,
  MAX_TRANSPORT_MESSAGE_BYTES,
  maxUdpPayload,
  transportMessageBytes,
} from './harness/wire-sizes.js';
import { implementationNamed, type WireGuardImplementation } from './harness/wireguard.js';

const DEFAULT_PAIRS = 'wirefly:wireguard-go,wirefly:wirefly';
const BULK_BYTES = 100 * 1000 * 1000;
const ROAMING_BYTES = 24 * 1000 * 1000;
const ROAMING_PACE = 8 * 1000 * 1000;
/** Counters read this far apart and found equal mean the traffic has landed. */
const QUIET_POLL_MS = 250;
/** Far shorter than the 10 s keepalive timeout, after which idle peers talk again. */
const QUIET_LIMIT_MS = 5_000;
const RECENT_HANDSHAKE_SECONDS = 5;
/** Pings that must not get through wait this long for a handshake that should never come. */
const NO_SESSION_DEADLINE_SECONDS = 3;

type Pair = readonly [WireGuardImplementation, WireGuardImplementation];

function interopPairs(spec: string): Pair[] {
  return spec.split(',').map((item) => {
    const names = item.split(':');
    if (names.length !== 2) throw new Error(`WIREFLY_INTEROP_PAIRS item "${item}" is not "impl:impl"`);
    return [implementationNamed(names[0]!.trim()), implementationNamed(names[1]!.trim())] as const;
  });
}

interface Counters {
  readonly a: PeerStatus;
  readonly b: PeerStatus;
}

async function readCounters({ a, b }: TunnelPair): Promise<Counters> {
  return { a: await showOnlyPeer(a.ns, a.ifname), b: await showOnlyPeer(b.ns, b.ifname) };
}

function trafficKey({ a, b }: Counters): string {
  return [a.rxBytes, a.txBytes, b.rxBytes, b.txBytes].join(' ');
}

/**
 * Each side's view of the other once packets in flight have landed: when two
 * readings in a row agree (a loaded machine may take a while to drain queues).
 */
async function quietCounters(pair: TunnelPair): Promise<Counters> {
  const deadline = Date.now() + QUIET_LIMIT_MS;
  let last = await readCounters(pair);
  for (;;) {
    await sleep(QUIET_POLL_MS);
    const now = await readCounters(pair);
    if (trafficKey(now) === trafficKey(last) || Date.now() > deadline) return now;
    last = now;
  }
}

function otherSide(side: 'a' | 'b'): 'a' | 'b' {
  return side === 'a' ? 'b' : 'a';
}

function assertRecentHandshake(status: PeerStatus, who: string): void {
  assert.ok(status.latestHandshake > 0, `${who}: wg show reports no handshake`);
  const age = Date.now() / 1000 - status.latestHandshake;
  assert.ok(age >= -1 && age <= RECENT_HANDSHAKE_SECONDS, `${who}: latest handshake ${age.toFixed(1)} s ago`);
}

/**
 * Pings `from` → `to` and returns the bytes each direction carried: every echo
 * request and every reply is one transport message of the same size, since the
 * session already exists and no keepalive is due within seconds.
 */
async function pingBytes(from: TunnelPeer, to: TunnelPeer, family: 4 | 6, payloadBytes: number): Promise<number> {
  const count = 2;
  const result = await ping(from.ns, tunnelAddress(to, family), { count, payloadBytes, deadlineSeconds: 5 });
  const what = `${from.implementation} → ${to.implementation} IPv${family} ping of ${echoPacketBytes(family, payloadBytes)} B`;
  assert.equal(result.received, count, `${what}: ${result.received}/${count} replies`);
  return result.transmitted * transportMessageBytes(echoPacketBytes(family, payloadBytes));
}

/** Pings of these sizes both ways over IPv4 and IPv6 and returns the bytes each direction carried. */
async function pingBothWays(pair: TunnelPair, payloadBytes: (family: 4 | 6) => number): Promise<number> {
  let bytes = 0;
  for (const family of [4, 6] as const) {
    bytes += await pingBytes(pair.a, pair.b, family, payloadBytes(family));
    bytes += await pingBytes(pair.b, pair.a, family, payloadBytes(family));
  }
  return bytes;
}

/** With a session up, pings both ways and checks that both sides count exactly those bytes. */
async function assertPingsCountedExactly(
  pair: TunnelPair,
  payloadBytes: (family: 4 | 6) => number = () => PING_PAYLOAD_BYTES,
): Promise<void> {
  const before = await quietCounters(pair);
  const bytes = await pingBothWays(pair, payloadBytes);
  const after = await quietCounters(pair);
  const sizes = ([4, 6] as const).map((family) => {
    const packet = echoPacketBytes(family, payloadBytes(family));
    return `IPv${family} ${packet} B → ${transportMessageBytes(packet)} B`;
  });
  const expectation = `expected ${bytes} B: each echo and reply one transport message (${sizes.join(', ')})`;
  assert.equal(after.a.txBytes - before.a.txBytes, bytes, `${pair.a.implementation} tx after pings, ${expectation}`);
  assert.equal(after.b.rxBytes - before.b.rxBytes, bytes, `${pair.b.implementation} rx after pings, ${expectation}`);
  assert.equal(after.b.txBytes - before.b.txBytes, bytes, `${pair.b.implementation} tx after pings, ${expectation}`);
  assert.equal(after.a.rxBytes - before.a.rxBytes, bytes, `${pair.a.implementation} rx after pings, ${expectation}`);
}

/** A ping from `a` starts the session that the counted tests take as given. */
async function establishSession(pair: TunnelPair): Promise<void> {
  const result = await ping(pair.a.ns, pair.b.tunnelV4, { count: 1, deadlineSeconds: 5 });
  assert.equal(result.received, 1, `no session between ${pair.a.implementation} and ${pair.b.implementation}`);
}

/**
 * Pings both ways (at once: each waits out its deadline) get no reply, and
 * neither side reports a handshake. Returns what each side then reports.
 */
async function assertNoSession(pair: TunnelPair): Promise<Counters> {
  const options = { count: 1, deadlineSeconds: NO_SESSION_DEADLINE_SECONDS };
  const [fromA, fromB] = await Promise.all([
    ping(pair.a.ns, pair.b.tunnelV4, options),
    ping(pair.b.ns, pair.a.tunnelV6, options),
  ]);
  assert.equal(fromA.received, 0, `a ping from ${pair.a.implementation} got through`);
  assert.equal(fromB.received, 0, `a ping from ${pair.b.implementation} got through`);
  const counters = await quietCounters(pair);
  for (const [status, self] of [
    [counters.a, pair.a],
    [counters.b, pair.b],
  ] as const) {
    assert.equal(status.latestHandshake, 0, `${self.implementation} reports a handshake`);
  }
  // They did try. (One side may only have answered the other's initiation: a
  // peer that has just sent a handshake message waits before initiating.)
  const sent = counters.a.txBytes + counters.b.txBytes;
  assert.ok(sent >= HANDSHAKE_INITIATION_BYTES, 'no handshake initiation was sent');
  return counters;
}

async function assertHandshakeFrom(t: TestContext, pairOf: Pair, initiatorSide: 'a' | 'b'): Promise<void> {
  await withLab(t, async (lab) => {
    const pair = await createTunnelPair(lab, ...pairOf);
    const initiator = pair[initiatorSide];
    const responder = pair[otherSide(initiatorSide)];
    const idle = await quietCounters(pair);
    for (const status of [idle.a, idle.b]) {
      assert.deepEqual(
        [status.latestHandshake, status.rxBytes, status.txBytes],
        [0, 0, 0],
        'traffic before the first ping',
      );
    }

    const first = await ping(initiator.ns, responder.tunnelV4, { count: 1, deadlineSeconds: 5 });
    assert.ok(first.received >= 1, `${initiator.implementation} got no reply to its first ping`);

    // The echoes sent while the handshake ran wait for it and then go out; the
    // responder answers the initiation and then every echo. Nothing else is due yet.
    const echoes = first.transmitted * transportMessageBytes(echoPacketBytes(4));
    const counted = await quietCounters(pair);
    const ofInitiator = counted[initiatorSide];
    const ofResponder = counted[otherSide(initiatorSide)];
    assert.equal(
      ofInitiator.txBytes,
      HANDSHAKE_INITIATION_BYTES + echoes,
      `${initiator.implementation} (initiator) tx`,
    );
    assert.equal(
      ofResponder.rxBytes,
      HANDSHAKE_INITIATION_BYTES + echoes,
      `${responder.implementation} (responder) rx`,
    );
    assert.equal(ofResponder.txBytes, HANDSHAKE_RESPONSE_BYTES + echoes, `${responder.implementation} (responder) tx`);
    assert.equal(ofInitiator.rxBytes, HANDSHAKE_RESPONSE_BYTES + echoes, `${initiator.implementation} (initiator) rx`);
    assertRecentHandshake(ofInitiator, initiator.implementation);
    assertRecentHandshake(ofResponder, responder.implementation);

    await assertPingsCountedExactly(pair);
  });
}

interface Snapshot extends Counters {
  /** Datagrams each side's kernel dropped because the daemon's socket buffer was full. */
  readonly kernelDrops: { readonly a: number; readonly b: number };
}

async function snapshot(pair: TunnelPair): Promise<Snapshot> {
  const counters = await quietCounters(pair);
  const kernelDrops = { a: await udpReceiveErrors(pair.a.ns), b: await udpReceiveErrors(pair.b.ns) };
  return { ...counters, kernelDrops };
}

/**
 * Under load the receiving kernel drops datagrams when the daemon does not
 * read fast enough; those were counted as sent and never as received. Every
 * dropped datagram is one WireGuard message, so what the sender counted beyond
 * what the receiver counted lies between the smallest message and the largest
 * datagram the outer link carries, times the drops, and is zero without drops.
 * (How large messages should be is the padding test's business.)
 */
function assertLossExplainedByKernelDrops(before: Snapshot, after: Snapshot, from: 'a' | 'b', label: string): void {
  const to = otherSide(from);
  const sent = after[from].txBytes - before[from].txBytes;
  const received = after[to].rxBytes - before[to].rxBytes;
  const drops = after.kernelDrops[to] - before.kernelDrops[to];
  const detail = `${label}: sent ${sent} B, received ${received} B, receiving kernel dropped ${drops} datagrams`;
  assert.ok(sent - received >= drops * KEEPALIVE_BYTES, detail);
  assert.ok(sent - received <= drops * maxUdpPayload(4), detail);
}

async function assertBulkTransfer(t: TestContext, pair: TunnelPair, fromSide: 'a' | 'b', family: 4 | 6): Promise<void> {
  const toSide = otherSide(fromSide);
  const from = pair[fromSide];
  const to = pair[toSide];
  const direction = `${from.implementation} → ${to.implementation} over IPv${family}`;
  const before = await snapshot(pair);
  const result = await tcpTransfer(from.ns, to.ns, tunnelAddress(to, family), { bytes: BULK_BYTES });
  assert.equal(result.receivedBytes, BULK_BYTES, direction);
  assert.equal(result.receivedSha256, result.sentSha256, direction);

  const after = await snapshot(pair);
  const counted = after[toSide].rxBytes - before[toSide].rxBytes;
  assert.ok(counted > BULK_BYTES, `${direction}: the receiver counted ${counted} B for ${BULK_BYTES} B of stream`);
  assertLossExplainedByKernelDrops(before, after, fromSide, `${direction}, data`);
  assertLossExplainedByKernelDrops(before, after, toSide, `${direction}, acknowledgements`);
  const drops = after.kernelDrops[toSide] - before.kernelDrops[toSide];
  t.diagnostic(
    `${direction}: ${(BULK_BYTES / 1e6 / result.seconds).toFixed(1)} MB/s, ${drops} datagrams dropped by the receiving kernel`,
  );
}

async function assertRoamsMidTransfer(t: TestContext, pairOf: Pair, roamerSide: 'a' | 'b'): Promise<void> {
  await withLab(t, async (lab) => {
    const pair = await createTunnelPair(lab, ...pairOf);
    const roamer = pair[roamerSide];
    const other = pair[otherSide(roamerSide)];
    await establishSession(pair);

    // The roamer sends the stream: a peer learns a new endpoint from the packets
    // that come from it, and a roamer that only answered (TCP acknowledgements)
    // would hear nothing at its new address to answer until a keepalive or
    // handshake timer fired, 10 to 15 s later.
    const transfer = await TcpTransfer.start(roamer.ns, other.ns, other.tunnelV4, {
      bytes: ROAMING_BYTES,
      bytesPerSecond: ROAMING_PACE,
      timeoutMs: 60_000,
    });
    while (transfer.receivedBytes < ROAMING_BYTES / 6) await sleep(20);
    const newAddress = roamer.outer.v4.replace(/\d+$/, (octet) => String(Number(octet) + 100));
    await moveAddress(roamer.outer, newAddress);
    await changeListenPort(roamer, roamer.listenPort + 100);
    const receivedWhenMoved = transfer.receivedBytes;

    const result = await transfer.done;
    assert.ok(receivedWhenMoved < ROAMING_BYTES, 'the transfer ended before the roam: not mid-stream');
    assert.equal(result.receivedBytes, ROAMING_BYTES);
    assert.equal(result.receivedSha256, result.sentSha256);
    const counted = await quietCounters(pair);
    const ofRoamer = counted[roamerSide];
    const ofOther = counted[otherSide(roamerSide)];
    assert.equal(ofOther.endpoint, endpointOf(roamer, 4), `${other.implementation} did not follow the roam`);
    assert.equal(ofRoamer.endpoint, endpointOf(other, 4), `${roamer.implementation} lost its peer's endpoint`);
    const roamerListen = (await roamer.ns.exec('wg', ['show', roamer.ifname, 'listen-port'])).trim();
    assert.equal(roamerListen, String(roamer.listenPort));
  });
}

for (const pairOf of interopPairs(process.env.WIREFLY_INTEROP_PAIRS ?? DEFAULT_PAIRS)) {
  const [implementationA, implementationB] = pairOf;
  const nameA = `${implementationA.name} (a)`;
  const nameB = `${implementationB.name} (b)`;

  describe(`${nameA} ↔ ${nameB}`, () => {
    test(`handshake initiated by ${nameA}; pings both ways; exact wg show counters`, (t) =>
      assertHandshakeFrom(t, pairOf, 'a'));

    test(`handshake initiated by ${nameB}; pings both ways; exact wg show counters`, (t) =>
      assertHandshakeFrom(t, pairOf, 'b'));

    test('100 MB TCP each way, SHA-256 intact; counters account for every datagram', (t) =>
      withLab(t, async (lab) => {
        const pair = await createTunnelPair(lab, ...pairOf);
        await assertBulkTransfer(t, pair, 'a', 4);
        await assertBulkTransfer(t, pair, 'b', 6);
        await assertPingsCountedExactly(pair);
      }));

    test('IPv6 outer transport', (t) =>
      withLab(t, async (lab) => {
        const pair = await createTunnelPair(lab, ...pairOf, { outerFamily: 6 });
        // Full-size packets: 1420 inside plus 80 of WireGuard, UDP and IPv6 fill the 1500-byte link.
        const result = await tcpTransfer(pair.a.ns, pair.b.ns, pair.b.tunnelV4, { bytes: 10_000_000 });
        assert.equal(result.receivedSha256, result.sentSha256);
        await assertPingsCountedExactly(pair);
        const { a, b } = await quietCounters(pair);
        assert.equal(a.endpoint, endpointOf(pair.b, 6));
        assert.equal(b.endpoint, endpointOf(pair.a, 6));
      }));

    test(`padding stops at the MTU: a full-MTU packet is one ${MAX_TRANSPORT_MESSAGE_BYTES}-byte message`, (t) =>
      withLab(t, async (lab) => {
        const pair = await createTunnelPair(lab, ...pairOf);
        await establishSession(pair);
        // Right after `ip link set mtu`, as wg-quick leaves an interface.
        await assertPingsCountedExactly(pair, (family) => fullSizePayload(family, TUNNEL_MTU));
      }));

    test('preshared key on both sides', (t) =>
      withLab(t, async (lab) => {
        const pair = await createTunnelPair(lab, ...pairOf, { presharedKey: 'same' });
        await establishSession(pair);
        await assertPingsCountedExactly(pair);
        const { a, b } = await quietCounters(pair);
        assert.ok(a.presharedKey, `${pair.a.implementation} reports no preshared key`);
        assert.equal(a.presharedKey, b.presharedKey);
        assertRecentHandshake(a, pair.a.implementation);
        assertRecentHandshake(b, pair.b.implementation);
      }));

    test('different preshared keys: no session', (t) =>
      withLab(t, async (lab) => {
        const pair = await createTunnelPair(lab, ...pairOf, { presharedKey: 'different' });
        const { a, b } = await assertNoSession(pair);
        // The preshared key enters only the response, so initiations authenticate
        // and are counted, and responses do not.
        for (const [status, self] of [
          [a, pair.a],
          [b, pair.b],
        ] as const) {
          assert.equal(
            status.rxBytes % HANDSHAKE_INITIATION_BYTES,
            0,
            `${self.implementation} counted more than initiations`,
          );
        }
      }));

    test(`${nameA} configured with a wrong public key for ${nameB}: no session`, (t) =>
      withLab(t, async (lab) => {
        const pair = await createTunnelPair(lab, ...pairOf, { wrongPeerKeyOn: 'a' });
        const { a, b } = await assertNoSession(pair);
        // b drops a's initiations (MAC1 is keyed to the wrong key); a knows no peer with b's key.
        assert.equal(a.rxBytes, 0, `${pair.a.implementation} counted received bytes`);
        assert.equal(b.rxBytes, 0, `${pair.b.implementation} counted received bytes`);
      }));

    test(`${nameA} roams (new address and listen port) mid-transfer`, (t) => assertRoamsMidTransfer(t, pairOf, 'a'));

    if (implementationA.name !== implementationB.name) {
      test(`${nameB} roams (new address and listen port) mid-transfer`, (t) => assertRoamsMidTransfer(t, pairOf, 'b'));
    }
  });
}
