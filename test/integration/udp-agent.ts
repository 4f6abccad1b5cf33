// The agent the UDP integration tests drive: a socket belongs to the network
// namespace of the process that opens it, so each namespace gets a process
// running this file with AGENT_ENVIRONMENT set. It binds a native transport and
// obeys JSON-line commands on stdin (bind, send, echo, mark, hold, stats,
// close), reporting every received batch on stdout. Agent is the tests' side.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BackgroundProcess } from './harness/background.js';
import type { Namespace } from './harness/namespace.js';
import { bindNativeUdp, type NativeUdpOptions } from '../../helper/src/os/linux/udp.js';
import type { DatagramBatch, UdpStats, UdpTransport } from '../../helper/src/os/udp.js';
import {
  formatEndpoint,
  formatIpAddress,
  parseEndpoint,
  parseIpAddress,
  type Endpoint,
} from '../../helper/src/net/ip.js';

const AGENT_ENVIRONMENT = 'WIREFLY_UDP_TEST_AGENT';
const REPLY_TIMEOUT_MS = 20_000;
const WAIT_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------- the agent's side

export interface EndpointJson {
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
  | { readonly op: 'bind'; readonly port: number; readonly options: NativeUdpOptions }
  | { readonly op: 'send'; readonly datagrams: readonly { readonly data: string; readonly to: EndpointJson }[] }
  | { readonly op: 'echo' | 'mark'; readonly value: number }
  | { readonly op: 'hold'; readonly fifo: string }
  | { readonly op: 'stats' | 'close' };

export function endpointFromJson(json: EndpointJson): Endpoint {
  const endpoint = parseEndpoint(json.endpoint);
  if (!endpoint) throw new Error(`bad endpoint ${json.endpoint}`);
  if (json.local === undefined) return endpoint;
  const local = parseIpAddress(json.local);
  if (!local) throw new Error(`bad local address ${json.local}`);
  return { ...endpoint, localAddress: local.bytes, localInterface: json.localInterface ?? 0 };
}

function runAgent(): void {
  let udp: UdpTransport | undefined;
  let echo = false;
  let stale: string[] = [];
  const write = (message: object): void => void process.stdout.write(`${JSON.stringify(message)}\n`);
  const transport = (): UdpTransport => {
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
  const run = async (command: Command): Promise<object> => {
    switch (command.op) {
      case 'bind':
        udp = bindNativeUdp(command.port, handler, command.options);
        return { port: udp.port };
      case 'send': {
        stale = [];
        const sent = transport().sendBatch(
          command.datagrams.map((item) => Buffer.from(item.data, 'base64')),
          command.datagrams.map((item) => endpointFromJson(item.to)),
        );
        // Stale sources are reported once the send has returned, in a microtask queued during it.
        await new Promise<void>((resolve) => queueMicrotask(resolve));
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
    run(command).then(
      (reply) => write({ id, ...reply }),
      (error: NodeJS.ErrnoException) =>
        write({ id, error: { code: error.code, syscall: error.syscall, message: error.message } }),
    );
  });
}

// ---------------------------------------------------------------- the tests' side

export interface Received {
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

export class AgentError extends Error {
  constructor(
    readonly code: string | undefined,
    readonly syscall: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export async function waitUntil(condition: () => boolean, what: string, timeoutMs = WAIT_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An agent process in a namespace, driven over its stdin and stdout. */
export class Agent {
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
      timer = setTimeout(
        () => reject(new Error(`agent gave no reply to ${command.op}: ${this.process.log()}`)),
        REPLY_TIMEOUT_MS,
      );
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

  async bind(port: number, options: NativeUdpOptions = {}): Promise<number> {
    const reply = await this.request({ op: 'bind', port, options });
    this.port = reply.port as number;
    return this.port;
  }

  /** Sends each payload to `to`; returns how many went and which endpoints' sources were refused. */
  async send(payloads: readonly (string | Buffer)[], to: EndpointJson): Promise<{ sent: number; stale: string[] }> {
    return this.sendEach(payloads.map((payload) => ({ payload, to })));
  }

  /** Sends each payload to its own endpoint, all in one sendBatch call. */
  async sendEach(
    items: readonly { payload: string | Buffer; to: EndpointJson }[],
  ): Promise<{ sent: number; stale: string[] }> {
    const datagrams = items.map(({ payload, to }) => ({ data: Buffer.from(payload).toString('base64'), to }));
    const reply = await this.request({ op: 'send', datagrams });
    return { sent: reply.sent as number, stale: reply.stale as string[] };
  }

  async stats(): Promise<UdpStats> {
    return (await this.request({ op: 'stats' })) as unknown as UdpStats;
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
