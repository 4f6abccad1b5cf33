// UDP offloads against the real kernel, in network namespaces: trains of
// equal-size datagrams leave as one UDP_SEGMENT message, a UDP_GRO socket gets
// them coalesced and hands them to JS split into datagrams, and whatever the
// kernel will not segment still arrives. Each socket lives in an agent process
// (udp-agent.ts).
//
// Namespace A sends; B receives over veth1 (10.99.1.0/24, fd99:0:0:1::/64,
// MTU 1500).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from './harness/lab.js';
import type { Namespace } from './harness/namespace.js';
import { VETH_MTU, type VethLink } from './harness/veth.js';
import { Agent, endpointFromJson, type EndpointJson, type Received } from './udp-agent.js';
import type { NativeUdpOptions } from '../../helper/src/os/linux/udp.js';
import { formatEndpoint } from '../../helper/src/net/ip.js';

/** The addon's limits: datagrams per sendmmsg call, per train, and bytes per train. */
const SEND_CALL = 128;
const TRAIN = 64;
const TRAIN_BYTES = 65535 - 40 - 8;
/** A full-size WireGuard transport message at tunnel MTU 1420, as the engine sends them. */
const TRANSPORT_SIZE = 1420 + 32;

let lab: Lab | undefined;
let nsA: Namespace;
let nsB: Namespace;
let ab: VethLink;
const agents: Agent[] = [];

async function agentIn(ns: Namespace, options: NativeUdpOptions = {}): Promise<Agent> {
  const agent = Agent.start(ns);
  agents.push(agent);
  await agent.bind(0, options);
  return agent;
}

before(async () => {
  lab = await Lab.create();
  nsA = await lab.namespace();
  nsB = await lab.namespace();
  ab = await lab.link(nsA, nsB);
});

after(async () => {
  await Promise.all(agents.map((agent) => agent.stop()));
  await lab?.cleanup();
});

const v4 = (address: string, port: number): EndpointJson => ({ endpoint: `${address}:${port}` });
const v6 = (address: string, port: number): EndpointJson => ({ endpoint: `[${address}]:${port}` });

/** Random payloads that say their index in the first two bytes. */
function payloads(sizes: readonly number[]): Buffer[] {
  return sizes.map((size, index) => {
    const payload = randomBytes(size);
    if (size >= 2) payload.writeUInt16BE(index);
    return payload;
  });
}

/** How many trains the addon makes of `count` datagrams of `size` bytes to one endpoint. */
function trainsFor(count: number, size: number): number {
  const perTrain = Math.min(TRAIN, Math.floor(TRAIN_BYTES / size));
  let trains = 0;
  for (let first = 0; first < count; first += SEND_CALL)
    trains += Math.ceil(Math.min(SEND_CALL, count - first) / perTrain);
  return trains;
}

function bytesOf(received: readonly Received[]): Buffer[] {
  return received.map(({ bytes }) => bytes);
}

/** Runs `work` while the agent's loop is blocked, so that what arrives meanwhile queues up in the kernel. */
async function holdWhile<T>(agent: Agent, ns: Namespace, work: () => Promise<T>): Promise<T> {
  const fifo = join(lab!.dir, `hold-${agent.port}`);
  await ns.exec('mkfifo', [fifo]);
  await agent.request({ op: 'hold', fifo });
  try {
    return await work();
  } finally {
    writeFileSync(fifo, 'go');
  }
}

for (const family of [4, 6] as const) {
  test(`IPv${family}: a burst of equal-size datagrams to one endpoint leaves as trains and reaches a UDP_GRO socket coalesced, split back in order in one batch`, async () => {
    const a = await agentIn(nsA);
    const b = await agentIn(nsB);
    const sent = payloads(Array.from({ length: 200 }, () => TRANSPORT_SIZE));
    const to = family === 4 ? v4(ab.b.v4, b.port) : v6(ab.b.v6, b.port);
    // Resolves B's link-layer address first, as a handshake would: the kernel
    // may drop a 64 KB train it has to queue while IPv6 neighbour discovery runs.
    await a.send(['hello'], to);
    await b.waitForDatagrams(1);
    // B is held while the trains arrive, so that one wake-up finds them all queued.
    const result = await holdWhile(b, nsB, () => a.send(sent, to));
    assert.deepEqual(result, { sent: 200, stale: [] });
    assert.deepEqual(bytesOf(await b.waitForDatagrams(201)).slice(1), sent);
    assert.deepEqual(b.batchSizes, [1, 200]);
    const trains = trainsFor(200, TRANSPORT_SIZE);
    const sender = await a.stats();
    assert.deepEqual(
      [sender.sendSegmented, sender.sendSegmentedDatagrams, sender.sendSegmentationRefused],
      [trains, 200, 0],
    );
    const receiver = await b.stats();
    assert.deepEqual(
      [receiver.receiveCoalesced, receiver.receiveCoalescedDatagrams, receiver.receiveTruncated],
      [trains, 200, 0],
    );
    await Promise.all([a.stop(), b.stop()]);
  });
}

test('a receiver without UDP_GRO gets the trains as separate datagrams, in order', async () => {
  const a = await agentIn(nsA);
  const b = await agentIn(nsB, { offload: false });
  const sent = payloads(Array.from({ length: 150 }, () => 1000));
  assert.equal((await a.send(sent, v4(ab.b.v4, b.port))).sent, 150);
  assert.deepEqual(bytesOf(await b.waitForDatagrams(150)), sent);
  assert.equal((await a.stats()).sendSegmented, trainsFor(150, 1000));
  assert.equal((await b.stats()).receiveCoalesced, 0);
  await Promise.all([a.stop(), b.stop()]);
});

test('a mixed batch (sizes, endpoints, families, an empty datagram) arrives complete and in order, trains only where they fit', async () => {
  const a = await agentIn(nsA);
  const b = await agentIn(nsB);
  const other = await agentIn(nsB);
  const toB4 = v4(ab.b.v4, b.port);
  const toB6 = v6(ab.b.v6, b.port);
  const toOther = v4(ab.b.v4, other.port);
  // [size, endpoint]; the comments name the message each datagram goes in.
  const plan: [number, EndpointJson][] = [
    ...Array.from({ length: 5 }, (): [number, EndpointJson] => [1000, toB4]), // train 1
    [1200, toB4], // train 2: a larger one starts a train of its own
    [1000, toB4], // ... which a shorter one ends
    [1000, toB4], // train 3
    [1000, toB4],
    [500, toB4], // ... ended by a shorter one
    ...Array.from({ length: 4 }, (): [number, EndpointJson] => [1000, toOther]), // train 4: another port
    ...Array.from({ length: 3 }, (): [number, EndpointJson] => [1000, toB6]), // train 5: IPv6
    [1000, toB4], // plain: the next one is empty
    [0, toB4], // plain
  ];
  const sent = payloads(plan.map(([size]) => size));
  const items = plan.map(([, to], i) => ({ payload: sent[i]!, to }));
  assert.deepEqual(await a.sendEach(items), { sent: plan.length, stale: [] });
  const expectedAt = (to: EndpointJson) => items.filter((item) => item.to === to).map(({ payload }) => payload);
  const ownAddress = (to: EndpointJson) =>
    formatEndpoint(endpointFromJson(to === toB6 ? v6(ab.a.v6, a.port) : v4(ab.a.v4, a.port)));
  await b.waitForDatagrams(expectedAt(toB4).length + expectedAt(toB6).length);
  await other.waitForDatagrams(expectedAt(toOther).length);
  for (const [agent, to] of [
    [b, toB4],
    [b, toB6],
    [other, toOther],
  ] as const) {
    // IPv4 and IPv6 come in on different sockets, so only each family's order is fixed.
    const arrived = agent.received.filter(({ source }) => source === ownAddress(to));
    assert.deepEqual(bytesOf(arrived), expectedAt(to));
  }
  const stats = await a.stats();
  assert.deepEqual([stats.sendSegmented, stats.sendSegmentedDatagrams], [5, 5 + 2 + 3 + 4 + 3]);
  await Promise.all([a.stop(), b.stop(), other.stop()]);
});

test('a train of datagrams larger than the link MTU, which the kernel will not segment, goes one by one and is dropped, not fragmented', async () => {
  const a = await agentIn(nsA);
  const b = await agentIn(nsB);
  const to = v4(ab.b.v4, b.port);
  const large = payloads(Array.from({ length: 10 }, () => VETH_MTU + 500));
  assert.equal((await a.send(large, to)).sent, 0);
  const refused = await a.stats();
  assert.deepEqual([refused.sendSegmented, refused.sendSegmentationRefused, refused.sendDropped], [0, 1, 10]);
  // That was this path's matter: trains that fit still leave as trains.
  const small = payloads(Array.from({ length: 10 }, () => 1000));
  assert.equal((await a.send(small, to)).sent, 10);
  assert.deepEqual(bytesOf(await b.waitForDatagrams(10)), small);
  const stats = await a.stats();
  assert.deepEqual([stats.sendSegmented, stats.sendSegmentationRefused], [1, 1]);
  await Promise.all([a.stop(), b.stop()]);
});

test('with offloads off, a burst goes as plain datagrams and arrives as plain datagrams', async () => {
  const a = await agentIn(nsA, { offload: false });
  const b = await agentIn(nsB, { offload: false });
  const sent = payloads(Array.from({ length: 100 }, () => TRANSPORT_SIZE));
  assert.equal((await a.send(sent, v6(ab.b.v6, b.port))).sent, 100);
  assert.deepEqual(bytesOf(await b.waitForDatagrams(100)), sent);
  assert.equal((await a.stats()).sendSegmented, 0);
  assert.equal((await b.stats()).receiveCoalesced, 0);
  await Promise.all([a.stop(), b.stop()]);
});

for (const family of [4, 6] as const) {
  test(`IPv${family}: a train whose sticky source went away leaves from the routed source, all of it, and is reported stale`, async () => {
    const gone = family === 4 ? '10.99.1.12' : 'fd99:0:0:1::12';
    const a = await agentIn(nsA);
    const b = await agentIn(nsB);
    const index = Number((await nsA.exec('cat', [`/sys/class/net/${ab.a.device}/ifindex`])).trim());
    const to = { ...(family === 4 ? v4(ab.b.v4, b.port) : v6(ab.b.v6, b.port)), local: gone, localInterface: index };
    const sent = payloads(Array.from({ length: 10 }, () => 1000));
    const result = await a.send(sent, to);
    assert.equal(result.sent, 10);
    assert.deepEqual(new Set(result.stale), new Set([formatEndpoint(endpointFromJson(to))]));
    const received = await b.waitForDatagrams(10);
    assert.deepEqual(bytesOf(received), sent);
    const routed = family === 4 ? v4(ab.a.v4, a.port) : v6(ab.a.v6, a.port);
    assert.deepEqual(
      new Set(received.map(({ source }) => source)),
      new Set([formatEndpoint(endpointFromJson(routed))]),
    );
    assert.equal((await a.stats()).sendSegmented, 1);
    await Promise.all([a.stop(), b.stop()]);
  });
}
