// The native UDP transport against the real kernel, in network namespaces. A
// socket belongs to the namespace of the process that opens it, so this file
// is also the agent that runs there: started with AGENT_ENVIRONMENT set, it
// binds a transport and obeys JSON-line commands on stdin (bind, send, echo,
// mark, hold, stats, close), reporting every received batch on stdout.
//
// Namespace A runs the transport under test; B is its peer over veth1
// (10.99.1.0/24, fd99:0:0:1::/64, MTU 9000); C sits behind veth2 and is where
// marked datagrams are routed to.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BackgroundProcess } from './harness/background.js';
import { Lab } from './harness/lab.js';
import type { Namespace } from './harness/namespace.js';
import type { VethLink } from './harness/veth.js';
import { bindNativeUdp, type DatagramBatch, type NativeUdp } from '../../helper/src/os/linux/udp.js';
import { formatEndpoint, formatIpAddress, parseEndpoint, parseIpAddress, type Endpoint } from '../../helper/src/net/ip.js';

const AGENT_ENVIRONMENT = 'WIREFLY_UDP_TEST_AGENT';
const REPLY_TIMEOUT_MS = 20_000;
const WAIT_TIMEOUT_MS = 10_000;
/** How long to listen for datagrams that must not arrive. */
const QUIET_MS = 300;
const JUMBO_MTU = 9000;
const IPV4_UDP_HEADERS = 28;
const IPV6_UDP_HEADERS = 48;
const MARK = 0x1234;
const MARK_TABLE = '123';

// ---------------------------------------------------------------- the agent

interface EndpointJson {
  readonly endpoint: string;
  readonly local?: string;
  readonly localInterface?: number;
}

interface ReceivedJson {
  readonly data: string;
  readonly source: string;
  readonly local: string | null;
  readonly localInterface: number;
}

type Command =
  | { readonly op: 'bind'; readonly port: number; readonly maxDatagramSize?: number }
  | { readonly op: 'send'; readonly datagrams: readonly { readonly data: string; readonly to: EndpointJson }[] }
  | { readonly op: 'echo' | 'mark'; readonly value: number }
  | { readonly op: 'hold'; readonly fifo: string }
  | { readonly op: 'stats' | 'close' };

function endpointFromJson(json: EndpointJson): Endpoint {
  const endpoint = parseEndpoint(json.endpoint);
  if (!endpoint) throw new Error(`bad endpoint ${json.endpoint}`);
  if (json.local === undefined) return endpoint;
  const local = parseIpAddress(json.local);
  if (!local) throw new Error(`bad local address ${json.local}`);
  return { ...endpoint, localAddress: local.bytes, localInterface: json.localInterface ?? 0 };
}

function runAgent(): void {
  let udp: NativeUdp | undefined;
  let echo = false;
  let stale: string[] = [];
  const write = (message: object): void => void process.stdout.write(`${JSON.stringify(message)}\n`);
  const transport = (): NativeUdp => {
    if (!udp) throw new Error('not bound');
    return udp;
  };
  const handler = {
    datagrams(batch: DatagramBatch): void {
      const datagrams: ReceivedJson[] = [];
      const endpoints: Endpoint[] = [];
      const payloads: Uint8Array[] = [];
      for (let i = 0; i < batch.count; i++) {
        const endpoint = batch.endpoint(i);
        const local = batch.localAddress(i);
        datagrams.push({
          data: Buffer.from(batch.datagram(i)).toString('base64'),
          source: formatEndpoint(endpoint),
          local: local ? formatIpAddress({ family: batch.sourceFamily(i), bytes: local }) : null,
          localInterface: batch.localInterface(i),
        });
        endpoints.push(endpoint);
        payloads.push(batch.datagram(i));
      }
      write({ event: 'datagrams', datagrams });
      // The views are valid until the handler returns, and sendBatch is done by then.
      if (echo) transport().sendBatch(payloads, endpoints);
    },
    staleSource(endpoint: Endpoint): void {
      stale.push(formatEndpoint(endpoint));
    },
  };
  const run = (command: Command): object => {
    switch (command.op) {
      case 'bind':
        udp = bindNativeUdp(command.port, handler, { maxDatagramSize: command.maxDatagramSize });
        return { port: udp.port };
      case 'send': {
        stale = [];
        const sent = transport().sendBatch(
          command.datagrams.map((item) => Buffer.from(item.data, 'base64')),
          command.datagrams.map((item) => endpointFromJson(item.to)),
        );
        return { sent, stale };
      }
      case 'echo':
        echo = command.value !== 0;
        return {};
      case 'mark':
        transport().setMark(command.value);
        return {};
      case 'hold':
        // Blocks the loop until the test writes to the FIFO, so that datagrams queue up in the kernel meanwhile.
        readFileSync(command.fifo);
        return {};
      case 'stats':
        return transport().stats();
      case 'close':
        transport().close();
        return {};
    }
  };
  createInterface({ input: process.stdin }).on('line', (line) => {
    const { id, ...command } = JSON.parse(line) as Command & { id: number };
    // A hold is acknowledged before it starts; its end is not reported.
    if (command.op === 'hold') write({ id, started: true });
    try {
      write({ id, ...run(command) });
    } catch (error) {
      const { code, syscall, message } = error as NodeJS.ErrnoException;
      write({ id, error: { code, syscall, message } });
    }
  });
}

// ---------------------------------------------------------------- the tests' side

interface Received {
  readonly text: string;
  readonly bytes: Buffer;
  readonly source: string;
  readonly local: string | null;
  readonly localInterface: number;
}

interface Reply {
  readonly error?: { readonly code?: string; readonly syscall?: string; readonly message: string };
  readonly [key: string]: unknown;
}

interface DatagramsEvent {
  readonly event: 'datagrams';
  readonly datagrams: readonly ReceivedJson[];
}

type AgentMessage = DatagramsEvent | (Reply & { readonly id: number });

class AgentError extends Error {
  constructor(
    readonly code: string | undefined,
    readonly syscall: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = WAIT_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An agent process in a namespace, driven over its stdin and stdout. */
class Agent {
  readonly received: Received[] = [];
  readonly batchSizes: number[] = [];
  port = 0;
  private readonly replies = new Map<number, (reply: Reply) => void>();
  private nextId = 1;

  private constructor(private readonly process: BackgroundProcess) {
    createInterface({ input: process.stdout }).on('line', (line) => this.onLine(line));
  }

  static start(ns: Namespace): Agent {
    const file = fileURLToPath(import.meta.url);
    const loader = file.endsWith('.ts') ? ['--import', 'tsx'] : [];
    const env: NodeJS.ProcessEnv = { ...process.env, [AGENT_ENVIRONMENT]: '1' };
    // Set by node --test for its own children; the agent is not one.
    delete env.NODE_TEST_CONTEXT;
    return new Agent(ns.spawn(process.execPath, [...loader, file], { env, streamStdio: true }));
  }

  async request(command: Command): Promise<Reply> {
    const id = this.nextId++;
    const reply = new Promise<Reply>((resolve) => this.replies.set(id, resolve));
    this.process.stdin.write(`${JSON.stringify({ id, ...command })}\n`);
    let timer: NodeJS.Timeout | undefined;
    const failure = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`agent gave no reply to ${command.op}: ${this.process.log()}`)), REPLY_TIMEOUT_MS);
      void this.process.exited.then((exit) =>
        reject(new Error(`agent exited (${exit.code ?? exit.signal}) during ${command.op}: ${this.process.log()}`)),
      );
    });
    try {
      const { error, ...result } = await Promise.race([reply, failure]);
      if (error) throw new AgentError(error.code, error.syscall, error.message);
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  async bind(port: number, maxDatagramSize?: number): Promise<number> {
    const reply = await this.request({ op: 'bind', port, maxDatagramSize });
    this.port = reply.port as number;
    return this.port;
  }

  /** Sends each payload to `to`; returns how many went and which endpoints' sources were refused. */
  async send(payloads: readonly (string | Buffer)[], to: EndpointJson): Promise<{ sent: number; stale: string[] }> {
    const datagrams = payloads.map((payload) => ({ data: Buffer.from(payload).toString('base64'), to }));
    const reply = await this.request({ op: 'send', datagrams });
    return { sent: reply.sent as number, stale: reply.stale as string[] };
  }

  async waitForDatagrams(count: number): Promise<Received[]> {
    await waitUntil(() => this.received.length >= count, `${count} datagrams (have ${this.received.length})`);
    return this.received;
  }

  stop(): Promise<unknown> {
    return this.process.stop();
  }

  private onLine(line: string): void {
    const message = JSON.parse(line) as AgentMessage;
    if ('event' in message) {
      const { datagrams } = message as DatagramsEvent;
      this.batchSizes.push(datagrams.length);
      for (const item of datagrams) {
        const bytes = Buffer.from(item.data, 'base64');
        this.received.push({ ...item, bytes, text: bytes.toString() });
      }
      return;
    }
    const { id, ...reply } = message;
    const resolve = this.replies.get(id);
    this.replies.delete(id);
    resolve?.(reply);
  }
}

if (process.env[AGENT_ENVIRONMENT]) runAgent();
else defineTests();

function defineTests(): void {
  let lab: Lab | undefined;
  let nsA: Namespace;
  let nsB: Namespace;
  let nsC: Namespace;
  let ab: VethLink;
  let ac: VethLink;
  const agents: Agent[] = [];

  async function agentIn(ns: Namespace, port?: number, maxDatagramSize?: number): Promise<Agent> {
    const agent = Agent.start(ns);
    agents.push(agent);
    if (port !== undefined) await agent.bind(port, maxDatagramSize);
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
    const b = await agentIn(nsB, 0);
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
    const deleteAddress = (address: string) => nsA.exec('ip', ['addr', 'del', `${address}/${prefix}`, 'dev', ab.a.device]);

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
        assert.deepEqual(a.received.map(({ local }) => local).sort(), [pick(ab.a), extra].sort());
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
      await nsA.exec('ip', [flag, 'route', 'add', `${address}/${length}`, 'via', via, 'dev', ac.a.device, 'table', MARK_TABLE]);
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

  test('a 9000-byte MTU link carries full-size and 9000-byte datagrams; slots too small drop and count them', async () => {
    const fullV4 = JUMBO_MTU - IPV4_UDP_HEADERS;
    const fullV6 = JUMBO_MTU - IPV6_UDP_HEADERS;
    const a = await agentIn(nsA, 0, JUMBO_MTU);
    const small = await agentIn(nsA, 0);
    const b = await agentIn(nsB, 0);
    const payload = (length: number, fill: number) => Buffer.alloc(length, fill);
    const expected = [payload(fullV4, 1), payload(fullV6, 2), payload(JUMBO_MTU, 3)];
    await b.send([expected[0]!], v4(ab.a.v4, a.port));
    await b.send([expected[1]!], v6(ab.a.v6, a.port));
    await b.send([expected[2]!], v4(ab.a.v4, a.port));
    const received = await a.waitForDatagrams(3);
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
    assert.deepEqual(await small.request({ op: 'stats' }), { sendDropped: 0, receiveTruncated: 1 });
    await Promise.all([a.stop(), small.stop(), b.stop()]);
  });
}
