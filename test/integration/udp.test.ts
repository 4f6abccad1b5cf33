// The native UDP transport against the real kernel, in network namespaces,
// each socket in an agent process (udp-agent.ts). Offloads have their own
// file (udp-offload.test.ts).
//
// Namespace A runs the transport under test; B is its peer over veth1
// (10.99.1.0/24, fd99:0:0:1::/64, MTU 9000); C sits behind veth2 and is where
// marked datagrams are routed to.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from './harness/lab.js';
import type { Namespace } from './harness/namespace.js';
import type { VethLink } from './harness/veth.js';
import { Agent, endpointFromJson, sleep, waitUntil, type EndpointJson } from './udp-agent.js';
import type { NativeUdpOptions } from '../../helper/src/os/linux/udp.js';
import { formatEndpoint } from '../../helper/src/net/ip.js';

const WAIT_TIMEOUT_MS = 10_000;
/** How long to listen for datagrams that must not arrive. */
const QUIET_MS = 300;
const JUMBO_MTU = 9000;
const IPV4_UDP_HEADERS = 28;
const IPV6_UDP_HEADERS = 48;
const MARK = 0x1234;
const MARK_TABLE = '123';

let lab: Lab | undefined;
let nsA: Namespace;
let nsB: Namespace;
let nsC: Namespace;
let ab: VethLink;
let ac: VethLink;
const agents: Agent[] = [];

async function agentIn(ns: Namespace, port?: number, options?: NativeUdpOptions): Promise<Agent> {
  const agent = Agent.start(ns);
  agents.push(agent);
  if (port !== undefined) await agent.bind(port, options);
  return agent;
}

const v4 = (address: string, port: number): EndpointJson => ({ endpoint: `${address}:${port}` });
const v6 = (address: string, port: number): EndpointJson => ({ endpoint: `[${address}]:${port}` });

async function interfaceIndex(ns: Namespace, device: string): Promise<number> {
  return Number((await ns.exec('cat', [`/sys/class/net/${device}/ifindex`])).trim());
}

async function listeningSockets(ns: Namespace, port: number): Promise<string[]> {
  const out = await ns.exec('ss', ['-Huln', 'sport', '=', `:${port}`]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => line.trim().split(/\s+/)[3]!)
    .sort();
}

before(async () => {
  lab = await Lab.create();
  nsA = await lab.namespace();
  nsB = await lab.namespace();
  nsC = await lab.namespace();
  ab = await lab.link(nsA, nsB);
  ac = await lab.link(nsA, nsC);
  for (const end of [ab.a, ab.b]) await end.ns.exec('ip', ['link', 'set', end.device, 'mtu', String(JUMBO_MTU)]);
});

after(async () => {
  await Promise.all(agents.map((agent) => agent.stop()));
  await lab?.cleanup();
});

test('binds IPv6 and IPv4 to one port the kernel picks, or to the port asked for', async () => {
  const picked = await agentIn(nsA, 0);
  assert.ok(picked.port > 0);
  assert.deepEqual(await listeningSockets(nsA, picked.port), [`0.0.0.0:${picked.port}`, `[::]:${picked.port}`]);
  const fixed = await agentIn(nsA, 51820);
  assert.equal(fixed.port, 51820);
  assert.deepEqual(await listeningSockets(nsA, 51820), ['0.0.0.0:51820', '[::]:51820']);
  await Promise.all([picked.stop(), fixed.stop()]);
});

test('round trips over IPv4 and IPv6 between two instances, with the local address and interface reported', async () => {
  const a = await agentIn(nsA, 0);
  const b = await agentIn(nsB, 0);
  await a.request({ op: 'echo', value: 1 });
  assert.equal((await b.send(['ping4'], v4(ab.a.v4, a.port))).sent, 1);
  assert.equal((await b.send(['ping6'], v6(ab.a.v6, a.port))).sent, 1);
  const echoes = await b.waitForDatagrams(2);
  assert.deepEqual(
    echoes.map(({ text, source }) => ({ text, source })).sort((x, y) => x.text.localeCompare(y.text)),
    [
      { text: 'ping4', source: `${ab.a.v4}:${a.port}` },
      { text: 'ping6', source: `[${ab.a.v6}]:${a.port}` },
    ],
  );
  const index = await interfaceIndex(nsA, ab.a.device);
  const seen = a.received.map(({ text, source, local, localInterface }) => ({ text, source, local, localInterface }));
  assert.deepEqual(
    seen.sort((x, y) => x.text.localeCompare(y.text)),
    [
      { text: 'ping4', source: `${ab.b.v4}:${b.port}`, local: ab.a.v4, localInterface: index },
      { text: 'ping6', source: `[${ab.b.v6}]:${b.port}`, local: ab.a.v6, localInterface: index },
    ],
  );
  await Promise.all([a.stop(), b.stop()]);
});

test('exchanges datagrams with ncat over IPv4 and IPv6', async () => {
  const a = await agentIn(nsA, 0);
  await nsB.exec('ncat', ['-u', '--send-only', ab.a.v4, String(a.port)], { input: 'from ncat 4' });
  await nsB.exec('ncat', ['-u', '--send-only', ab.a.v6, String(a.port)], { input: 'from ncat 6' });
  const received = await a.waitForDatagrams(2);
  assert.deepEqual(received.map(({ text }) => text).sort(), ['from ncat 4', 'from ncat 6']);

  for (const [address, to] of [
    [ab.b.v4, v4(ab.b.v4, 7001)],
    [ab.b.v6, v6(ab.b.v6, 7001)],
  ] as const) {
    const listener = nsB.spawn('ncat', ['-u', '-l', '--recv-only', address, '7001']);
    try {
      await waitUntilListening(nsB, 7001);
      assert.equal((await a.send([`to ncat at ${address}`], to)).sent, 1);
      await waitUntil(() => listener.log().includes(`to ncat at ${address}`), `ncat to receive at ${address}`);
    } finally {
      await listener.stop();
    }
  }
  await a.stop();
});

async function waitUntilListening(ns: Namespace, port: number): Promise<void> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  while ((await listeningSockets(ns, port)).length === 0) {
    if (Date.now() > deadline) throw new Error(`nothing listens on UDP port ${port}`);
    await sleep(20);
  }
}

const numbered = (count: number, from = 0): string[] =>
  Array.from({ length: count }, (_, i) => `datagram ${String(from + i).padStart(4, '0')}`);

test('200 datagrams sent at a modest rate all arrive, in order', async () => {
  const a = await agentIn(nsA, 0);
  const b = await agentIn(nsB, 0);
  for (let chunk = 0; chunk < 10; chunk++) {
    assert.equal((await b.send(numbered(20, chunk * 20), v4(ab.a.v4, a.port))).sent, 20);
    await sleep(10);
  }
  const received = await a.waitForDatagrams(200);
  assert.deepEqual(
    received.map(({ text }) => text),
    numbered(200),
  );
  await sleep(QUIET_MS);
  assert.equal(a.received.length, 200);
  await Promise.all([a.stop(), b.stop()]);
});

test('datagrams that queue up while JS is busy come in batches of up to 64, one handler call each', async () => {
  const a = await agentIn(nsA, 0);
  // Plain datagrams from B, each a message of its own (udp-offload.test.ts has the trains).
  const b = await agentIn(nsB, 0, { offload: false });
  const fifo = join(lab!.dir, 'hold');
  await nsA.exec('mkfifo', [fifo]);
  await a.request({ op: 'hold', fifo });
  assert.equal((await b.send(numbered(200), v6(ab.a.v6, a.port))).sent, 200);
  writeFileSync(fifo, 'go');
  const received = await a.waitForDatagrams(200);
  assert.deepEqual(
    received.map(({ text }) => text),
    numbered(200),
  );
  assert.deepEqual(a.batchSizes, [64, 64, 64, 8]);
  await Promise.all([a.stop(), b.stop()]);
});

for (const family of [4, 6] as const) {
  const pick = (end: { v4: string; v6: string }) => (family === 4 ? end.v4 : end.v6);
  const endpoint = family === 4 ? v4 : v6;
  const prefix = family === 4 ? '24' : '64';
  const secondary = (n: number) => (family === 4 ? `10.99.1.${n}` : `fd99:0:0:1::${n}`);
  const addAddress = (address: string) =>
    nsA.exec('ip', ['addr', 'add', `${address}/${prefix}`, 'dev', ab.a.device, ...(family === 6 ? ['nodad'] : [])]);
  const deleteAddress = (address: string) =>
    nsA.exec('ip', ['addr', 'del', `${address}/${prefix}`, 'dev', ab.a.device]);

  test(`IPv${family}: a reply leaves from the address the peer wrote to`, async () => {
    const extra = secondary(11);
    await addAddress(extra);
    try {
      const a = await agentIn(nsA, 0);
      const b = await agentIn(nsB, 0);
      await a.request({ op: 'echo', value: 1 });
      await b.send(['to the secondary'], endpoint(extra, a.port));
      await b.send(['to the primary'], endpoint(pick(ab.a), a.port));
      const replies = await b.waitForDatagrams(2);
      assert.deepEqual(
        replies.map(({ text, source }) => ({ text, source })).sort((x, y) => x.text.localeCompare(y.text)),
        [
          { text: 'to the primary', source: formatEndpoint(endpointFromJson(endpoint(pick(ab.a), a.port))) },
          { text: 'to the secondary', source: formatEndpoint(endpointFromJson(endpoint(extra, a.port))) },
        ],
      );
      // The agent echoes a batch before its report of it reaches this process.
      const echoed = await a.waitForDatagrams(2);
      assert.deepEqual(echoed.map(({ local }) => local).sort(), [pick(ab.a), extra].sort());
      await Promise.all([a.stop(), b.stop()]);
    } finally {
      await deleteAddress(extra);
    }
  });

  test(`IPv${family}: a sticky source that went away is replaced by the routed one and reported stale`, async () => {
    const gone = secondary(12);
    const a = await agentIn(nsA, 0);
    const b = await agentIn(nsB, 0);
    const index = await interfaceIndex(nsA, ab.a.device);
    const to = { ...endpoint(pick(ab.b), b.port), local: gone, localInterface: index };
    await addAddress(gone);
    assert.deepEqual(await a.send(['while it is there'], to), { sent: 1, stale: [] });
    await deleteAddress(gone);
    const afterRemoval = await a.send(['after it went'], to);
    assert.deepEqual(afterRemoval, { sent: 1, stale: [formatEndpoint(endpointFromJson(to))] });
    const received = await b.waitForDatagrams(2);
    assert.deepEqual(
      received.map(({ text, source }) => ({ text, source })),
      [
        { text: 'while it is there', source: formatEndpoint(endpointFromJson(endpoint(gone, a.port))) },
        { text: 'after it went', source: formatEndpoint(endpointFromJson(endpoint(pick(ab.a), a.port))) },
      ],
    );
    await Promise.all([a.stop(), b.stop()]);
  });
}

test('the firewall mark reaches the kernel: marked datagrams follow the policy rule, unmarked ones do not', async () => {
  // Table 123 sends B's addresses through C instead, where they are local too.
  for (const [flag, address, via, length] of [
    ['-4', ab.b.v4, ac.b.v4, '32'],
    ['-6', ab.b.v6, ac.b.v6, '128'],
  ] as const) {
    await nsA.exec('ip', [flag, 'rule', 'add', 'fwmark', `0x${MARK.toString(16)}`, 'lookup', MARK_TABLE]);
    await nsA.exec('ip', [
      flag,
      'route',
      'add',
      `${address}/${length}`,
      'via',
      via,
      'dev',
      ac.a.device,
      'table',
      MARK_TABLE,
    ]);
    await nsC.exec('ip', ['addr', 'add', `${address}/${length}`, 'dev', 'lo', ...(flag === '-6' ? ['nodad'] : [])]);
  }
  const a = await agentIn(nsA, 0);
  const b = await agentIn(nsB, 40000);
  const c = await agentIn(nsC, 40000);
  await a.request({ op: 'mark', value: MARK });
  await a.send(['marked 4'], v4(ab.b.v4, 40000));
  await a.send(['marked 6'], v6(ab.b.v6, 40000));
  await a.request({ op: 'mark', value: 0 });
  await a.send(['unmarked 4'], v4(ab.b.v4, 40000));
  await a.send(['unmarked 6'], v6(ab.b.v6, 40000));
  await c.waitForDatagrams(2);
  await b.waitForDatagrams(2);
  await sleep(QUIET_MS);
  assert.deepEqual(c.received.map(({ text }) => text).sort(), ['marked 4', 'marked 6']);
  assert.deepEqual(b.received.map(({ text }) => text).sort(), ['unmarked 4', 'unmarked 6']);
  await Promise.all([a.stop(), b.stop(), c.stop()]);
});

test('a port taken for either family is refused with EADDRINUSE', async () => {
  const holder = await agentIn(nsA, 51821);
  const second = await agentIn(nsA);
  await assert.rejects(second.bind(51821), { code: 'EADDRINUSE', syscall: 'bind' });
  const ipv4Only = nsA.spawn('ncat', ['-u', '-l', '--recv-only', '0.0.0.0', '51822']);
  try {
    await waitUntilListening(nsA, 51822);
    await assert.rejects(second.bind(51822), { code: 'EADDRINUSE', syscall: 'bind', message: /IPv4/ });
  } finally {
    await ipv4Only.stop();
  }
  // The failed attempt left nothing bound behind: the port is free for both families now.
  assert.equal(await second.bind(51822), 51822);
  await Promise.all([holder.stop(), second.stop()]);
});

test('a kernel-picked port that is free for IPv6 but taken for IPv4 is given up for another', async () => {
  const range = (await nsA.exec('sysctl', ['-n', 'net.ipv4.ip_local_port_range'])).trim().split(/\s+/).join(' ');
  // Two ephemeral ports, one of them taken for IPv4 only: each pick lands on it half the time.
  await nsA.exec('sysctl', ['-qw', 'net.ipv4.ip_local_port_range=40000 40001']);
  const ipv4Only = nsA.spawn('ncat', ['-u', '-l', '--recv-only', '0.0.0.0', '40000']);
  try {
    await waitUntilListening(nsA, 40000);
    const a = await agentIn(nsA);
    for (let round = 0; round < 6; round++) {
      assert.equal(await a.bind(0), 40001);
      await a.request({ op: 'close' });
    }
    await a.stop();
  } finally {
    await ipv4Only.stop();
    await nsA.exec('sysctl', ['-qw', `net.ipv4.ip_local_port_range=${range}`]);
  }
});

test('close is idempotent, stops delivery and sends, and frees the port', async () => {
  const a = await agentIn(nsA, 51823);
  const b = await agentIn(nsB, 0);
  await a.request({ op: 'close' });
  await a.request({ op: 'close' });
  assert.deepEqual(await listeningSockets(nsA, 51823), []);
  assert.equal((await a.send(['after close'], v4(ab.b.v4, b.port))).sent, 0);
  await b.send(['to a closed port'], v4(ab.a.v4, 51823));
  await sleep(QUIET_MS);
  assert.equal(a.received.length, 0);
  assert.equal(b.received.length, 0);
  assert.equal(await a.bind(51823), 51823);
  await Promise.all([a.stop(), b.stop()]);
});

test('a 9000-byte MTU link carries full-size datagrams, and drops larger ones at the sender; slots too small drop and count them', async () => {
  const fullV4 = JUMBO_MTU - IPV4_UDP_HEADERS;
  const fullV6 = JUMBO_MTU - IPV6_UDP_HEADERS;
  const a = await agentIn(nsA, 0, { maxDatagramSize: JUMBO_MTU });
  const small = await agentIn(nsA, 0);
  const b = await agentIn(nsB, 0);
  const payload = (length: number, fill: number) => Buffer.alloc(length, fill);
  const expected = [payload(fullV4, 1), payload(fullV6, 2)];
  assert.equal(
    (await b.send([payload(fullV4 + 1, 3)], v4(ab.a.v4, a.port))).sent,
    0,
    'one byte too many for the link goes nowhere, unfragmented',
  );
  await b.send([expected[0]!], v4(ab.a.v4, a.port));
  await b.send([expected[1]!], v6(ab.a.v6, a.port));
  const received = await a.waitForDatagrams(2);
  // The IPv6 datagram comes in on the other socket, so its place among the IPv4 ones may vary.
  assert.deepEqual(
    received.map(({ bytes }) => bytes).sort((x, y) => x[0]! - y[0]!),
    expected,
  );
  await b.send([payload(fullV4, 4), 'small after large'], v4(ab.a.v4, small.port));
  const smallReceived = await small.waitForDatagrams(1);
  await sleep(QUIET_MS);
  assert.deepEqual(
    smallReceived.map(({ text }) => text),
    ['small after large'],
  );
  const stats = await small.stats();
  assert.deepEqual([stats.sendDropped, stats.receiveTruncated], [0, 1]);
  await Promise.all([a.stop(), small.stop(), b.stop()]);
});
