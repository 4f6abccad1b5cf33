// The wg(8) control protocol under generated conversations: the byte stream is
// cut into operations (however it is chunked), each set request is parsed and
// applied to the in-memory device and, beside it, to an engine Device through
// the runtime's DeviceControl, and every get is answered — as the control
// socket does it. Valid requests must parse to what was written and apply;
// bad ones must be answered with an errno and change nothing; both devices
// must agree and stay consistent, and what get prints must set the same state.
import assert from 'node:assert/strict';
import { engineCrypto } from '../../helper/src/crypto/provider.js';
import { Device } from '../../helper/src/engine/device.js';
import { formatCidr, formatEndpoint } from '../../helper/src/net/ip.js';
import { DeviceControl } from '../../helper/src/runtime/device-control.js';
import type { WireGuardInterface } from '../../helper/src/runtime/wireguard-interface.js';
import { EADDRINUSE, EINVAL, EIO, EPROTO } from '../../helper/src/uapi/errno.js';
import { UapiRequestReader, type UapiOperation } from '../../helper/src/uapi/framing.js';
import { MemoryUapiDevice } from '../unit/support/memory-uapi-device.js';
import { UapiError, type UapiDevice, type UapiDeviceState, type UapiSetRequest } from '../../helper/src/uapi/model.js';
import { formatGetResponse, formatKeyHex, parseSetRequest, UapiSetParser } from '../../helper/src/uapi/protocol.js';
import { mutateBytes, mutateLines } from './mutate.js';
import type { Random } from './random.js';
import {
  countOf,
  ENOUGH_FOR_REACH,
  ENOUGH_FOR_SHARES,
  missingTags,
  type FuzzTarget,
  type FuzzTargetModule,
  type RunStats,
} from './target.js';
import { conversationText, generateConversation, TAKEN_PORTS, type Conversation } from './uapi-generator.js';

interface UapiInput {
  readonly kind: 'valid' | 'mutated';
  readonly conversation: Conversation;
  readonly stream: Uint8Array;
  /** The stream is pushed in pieces of these sizes (the rest in one piece). */
  readonly chunks: readonly number[];
  /** Whether the client closes its end after the stream. */
  readonly end: boolean;
  readonly mutations: readonly string[];
}

/** The port a request for port 0 gets. */
const ANY_PORT = 40_000;

function mutate(random: Random, text: string): { stream: Uint8Array; mutations: string[] } {
  const { lines, mutations: lineMutations } = mutateLines(random, text.split('\n'), 3, { hugeLength: 6_000 });
  const mutations: string[] = lineMutations;
  if (random.chance(0.002)) {
    // A request larger than the protocol allows, in lines of allowed size.
    lines.splice(
      random.below(lines.length + 1),
      0,
      'set=1',
      ...new Array<string>(200_000).fill('allowed_ip=10.0.0.0/8'),
    );
    mutations.push('oversized-set');
  }
  const stream = new TextEncoder().encode(lines.join('\n'));
  if (!random.chance(0.1)) return { stream, mutations };
  const mutated = mutateBytes(random, stream, 3, { maxLength: stream.length + 64 });
  return { stream: mutated.bytes, mutations: [...mutations, ...mutated.mutations] };
}

function generate(random: Random): UapiInput {
  const conversation = generateConversation(random);
  const text = conversationText(conversation.operations);
  const valid = random.chance(0.4);
  const { stream, mutations } = valid
    ? { stream: new TextEncoder().encode(text), mutations: [] }
    : mutate(random, text);
  const chunks = random.chance(0.5)
    ? []
    : Array.from({ length: random.int(1, 40) }, () =>
        random.chance(0.7) ? random.int(1, 16) : random.int(1, stream.length + 1),
      );
  return { kind: valid ? 'valid' : 'mutated', conversation, stream, chunks, end: random.chance(0.5), mutations };
}

// ---- the two devices ----

function bindMemory(port: number): number {
  if (TAKEN_PORTS.has(port)) throw new UapiError(EADDRINUSE, `port ${port} is taken`);
  return port === 0 ? ANY_PORT : port;
}

/** The runtime's control of an engine Device, with sockets that only remember their port and mark. */
function engineControl(): DeviceControl {
  const device = new Device({
    ...engineCrypto(),
    clock: { now: () => 0, wallClock: () => 0 },
    output: { sendDatagrams: () => {}, writePackets: () => {} },
  });
  let listenPort = 0;
  let fwmark = 0;
  const sockets = {
    device,
    get listenPort() {
      return listenPort;
    },
    get fwmarkValue() {
      return fwmark;
    },
    bind(port: number) {
      if (TAKEN_PORTS.has(port)) throw Object.assign(new Error(`port ${port} is taken`), { code: 'EADDRINUSE' });
      listenPort = port === 0 ? ANY_PORT : port;
    },
    setFwmark(mark: number) {
      fwmark = mark;
    },
    afterInput() {},
  };
  return new DeviceControl(sockets as unknown as WireGuardInterface);
}

/**
 * A device's state as text, peers in order (or sorted, where the order may differ),
 * each peer's networks sorted (the two devices keep them in different orders).
 */
function view(state: UapiDeviceState, peerOrder: 'kept' | 'sorted' = 'kept'): string {
  const hex = (key: Uint8Array | undefined) => key && formatKeyHex(key);
  const peers =
    peerOrder === 'kept' ? [...state.peers] : [...state.peers].sort((a, b) => Buffer.compare(a.publicKey, b.publicKey));
  return JSON.stringify({
    privateKey: hex(state.privateKey),
    listenPort: state.listenPort,
    fwmark: state.fwmark,
    peers: peers.map((peer) => ({
      publicKey: hex(peer.publicKey),
      presharedKey: hex(peer.presharedKey),
      endpoint: peer.endpoint && formatEndpoint(peer.endpoint),
      keepalive: peer.persistentKeepaliveInterval,
      allowedIps: peer.allowedIps.map(formatCidr).sort(),
    })),
  });
}

function assertConsistent(device: MemoryUapiDevice): void {
  const state = device.get();
  const own = device.publicKey();
  const keys = Array.from(state.peers, (peer) => formatKeyHex(peer.publicKey));
  assert.equal(new Set(keys).size, keys.length, 'a peer is listed twice');
  if (own) assert.ok(!keys.includes(formatKeyHex(own)), 'the device is its own peer');
  const owners = new Map<string, string>();
  for (const peer of state.peers) {
    for (const network of peer.allowedIps) {
      const text = formatCidr(network);
      assert.equal(owners.get(text), undefined, `${text} routes to two peers`);
      owners.set(text, formatKeyHex(peer.publicKey));
      const hostBits = [...network.bytes].some(
        (byte, i) => (byte & (0xff >> Math.max(0, Math.min(8, network.prefix - 8 * i)))) !== 0,
      );
      assert.ok(!hostBits, `${text} has host bits`);
    }
  }
}

/** A device set from what `get` prints about `device`. */
async function copyOf(device: MemoryUapiDevice): Promise<MemoryUapiDevice> {
  const text = formatGetResponse(device.get());
  assert.ok(text.endsWith('errno=0\n\n'));
  const lines = text
    .slice(0, -'errno=0\n\n'.length)
    .split('\n')
    .filter((line) => line !== '');
  const settable = lines.filter(
    (line) => !/^(last_handshake_time_sec|last_handshake_time_nsec|tx_bytes|rx_bytes)=/.test(line),
  );
  const copy = new MemoryUapiDevice({ bind: bindMemory });
  await copy.set(parseSetRequest(['replace_peers=true', ...settable]));
  return copy;
}

/** What `get` prints sets the same state again, as `wg showconf | wg setconf` relies on. */
async function assertGetRoundTrips(device: MemoryUapiDevice): Promise<void> {
  assert.equal(formatGetResponse((await copyOf(device)).get()), formatGetResponse(device.get()));
}

/** The errno a set ends with, as the control socket would answer: 0, or a UapiError's; anything else thrown is a crash. */
async function setErrno(
  device: { set(request: UapiSetRequest): Promise<void> },
  request: UapiSetRequest,
): Promise<number> {
  try {
    await device.set(request);
    return 0;
  } catch (error) {
    if (!(error instanceof UapiError)) throw error;
    return error.errno;
  }
}

/**
 * A set request's lines applied as the control socket applies them, one at a
 * time as they stream in, the rest skipped after the first that fails; the
 * errno it would answer, and how many lines came before the failing one.
 */
async function streamSet(device: UapiDevice, lines: readonly string[]): Promise<{ errno: number; applied: number }> {
  const parser = new UapiSetParser();
  const session = device.beginSet();
  let applied = 0;
  try {
    for (const line of lines) {
      await session.apply(parser.parse(line));
      applied++;
    }
    return { errno: 0, applied };
  } catch (error) {
    if (!(error instanceof UapiError)) throw error;
    return { errno: error.errno, applied };
  } finally {
    session.end();
  }
}

/**
 * Whether each peer block has its lines in the order wg(8) writes them:
 * remove and update_only before anything else that changes the peer,
 * replace_allowed_ips before its allowed_ip lines. Only then does a request
 * line by line (in line order, as wireguard-go) end as the whole request does.
 */
function inWgOrder(lines: readonly string[]): boolean {
  let changed = false;
  let allowedIps = false;
  for (const line of lines) {
    const key = line.slice(0, line.indexOf('='));
    if (key === 'public_key') {
      changed = false;
      allowedIps = false;
    } else if (key === 'remove' || key === 'update_only') {
      if (changed) return false;
    } else if (key === 'replace_allowed_ips') {
      if (allowedIps) return false;
      changed = true;
    } else if (key !== 'protocol_version') {
      changed = true;
      if (key === 'allowed_ip') allowedIps = true;
    }
  }
  return true;
}

// ---- the conversation ----

/** Operations with each set request's begin, lines and end as one, as the socket's reader emits them in pieces. */
type Grouped =
  | Exclude<UapiOperation, { kind: 'set-begin' | 'set-line' | 'set-end' }>
  | { readonly kind: 'set'; readonly lines: readonly string[] };

function grouped(operations: readonly UapiOperation[]): Grouped[] {
  const result: Grouped[] = [];
  let lines: string[] | undefined;
  for (const operation of operations) {
    if (operation.kind === 'set-begin') result.push({ kind: 'set', lines: (lines = []) });
    else if (operation.kind === 'set-line') lines!.push(operation.line);
    else if (operation.kind !== 'set-end') result.push(operation);
  }
  return result;
}

function read(stream: Uint8Array, chunks: readonly number[], end: boolean): Grouped[] {
  const reader = new UapiRequestReader();
  const operations: UapiOperation[] = [];
  let offset = 0;
  for (const size of [...chunks, stream.length]) {
    if (offset >= stream.length) break;
    operations.push(...reader.push(stream.subarray(offset, offset + size)));
    offset += size;
  }
  if (end) operations.push(...reader.end());
  return grouped(operations);
}

function summary(operations: readonly Grouped[]): unknown[] {
  return operations.map((operation) =>
    operation.kind === 'reject' || operation.kind === 'close'
      ? { kind: operation.kind, errno: operation.kind === 'reject' ? operation.error.errno : operation.error?.errno }
      : operation,
  );
}

async function check(input: UapiInput): Promise<{ result: string; tags: string[] }> {
  const operations = read(input.stream, input.chunks, input.end);
  assert.deepEqual(
    summary(operations),
    summary(read(input.stream, [], input.end)),
    'the operations depend on how the stream was cut',
  );
  const closeAt = operations.findIndex((operation) => operation.kind === 'close');
  assert.ok(closeAt < 0 || closeAt === operations.length - 1, 'operations after the connection closed');
  if (input.kind === 'valid') {
    assert.deepEqual(
      operations.map((o) => o.kind),
      input.conversation.operations.map((o) => o.op),
      'the operations written are not the ones read',
    );
  }

  const memory = new MemoryUapiDevice({ bind: bindMemory });
  const engine = engineControl();
  // Takes every set as the socket does, line by line: where the whole request applies, it must end the same.
  let streamed = new MemoryUapiDevice({ bind: bindMemory });
  streamed.setPrivateKey(input.conversation.privateKey);
  memory.setPrivateKey(input.conversation.privateKey);
  engine.setPrivateKey(input.conversation.privateKey);
  const tags: string[] = [];
  let refused = false;
  for (const [i, operation] of operations.entries()) {
    const tag = (what: string) => tags.push(`${input.kind} ${what}`);
    switch (operation.kind) {
      case 'get':
        await assertGetRoundTrips(memory);
        tag('get');
        break;
      case 'set': {
        const before = view(memory.get());
        const stream = await streamSet(streamed, operation.lines);
        let request: UapiSetRequest;
        try {
          request = parseSetRequest(operation.lines);
        } catch (error) {
          assert.ok(error instanceof UapiError, `parseSetRequest threw ${(error as Error)?.stack}`);
          assert.ok([EINVAL, EPROTO].includes(error.errno), `errno ${error.errno} for a request that does not parse`);
          assert.equal(input.kind, 'mutated', `a valid request was refused: ${error.message}`);
          assert.equal(view(memory.get()), before);
          // The socket stops at the bad line, or at a taken port before it.
          assert.ok(
            [error.errno, EADDRINUSE].includes(stream.errno),
            `the socket answered errno ${stream.errno} where the whole parse says ${error.errno}`,
          );
          // What came before the bad line stays applied on the socket, as wireguard-go leaves it: that much, and no more.
          const prefix = await copyOf(memory);
          const prefixLines = operation.lines.slice(0, stream.applied);
          if (
            stream.errno === error.errno &&
            inWgOrder(prefixLines) &&
            (await setErrno(prefix, parseSetRequest(prefixLines))) === 0
          ) {
            assert.equal(
              view(streamed.get()),
              view(prefix.get()),
              'the lines before the bad one applied otherwise on the socket',
            );
          }
          streamed = await copyOf(memory);
          tag(`set errno ${error.errno}`);
          break;
        }
        const expected = input.conversation.operations[i];
        if (input.kind === 'valid' && expected?.op === 'set') assert.deepEqual(request, expected.request);
        const errno = await setErrno(memory, request);
        assert.equal(await setErrno(engine, request), errno, 'the engine answered otherwise');
        // Line by line, lines apply in their order (as wireguard-go's do), so a mutated request's reordered
        // lines may end otherwise than the whole; and a port taken halfway stops the stream there, where the
        // whole request was refused before it changed anything. wg(8)'s own requests must end the same.
        if (errno === 0 && input.kind === 'valid' && inWgOrder(operation.lines)) {
          assert.equal(stream.errno, 0, 'the socket refused what applies as a whole');
          assert.equal(view(streamed.get()), view(memory.get()), 'line by line, the request ended otherwise');
        } else {
          streamed = await copyOf(memory);
        }
        if (errno !== 0) {
          assert.equal(errno, EADDRINUSE);
          assert.equal(view(memory.get()), before, 'a refused request changed the device');
          refused = true;
        }
        assertConsistent(memory);
        assert.equal(view(engine.get()), view(memory.get()), 'the engine and the in-memory device disagree');
        if (errno === 0 && input.kind === 'valid' && !request.peers.some((peer) => peer.updateOnly)) {
          // Idempotent unless a block is update-only and another creates its peer: the second time, the peer is there.
          // A peer removed and added again moves to the end of the list, so the order is not compared.
          const again = await copyOf(memory);
          await again.set(request);
          assert.equal(
            view(again.get(), 'sorted'),
            view(memory.get(), 'sorted'),
            'the same request applied twice changed the device again',
          );
        }
        tag(`set errno ${errno}`);
        break;
      }
      case 'reject':
        assert.equal(operation.error.errno, EINVAL);
        tag(`reject errno ${operation.error.errno}`);
        break;
      case 'close':
        assert.ok(
          operation.error === undefined || operation.error.errno === EIO,
          `close with errno ${operation.error?.errno}`,
        );
        tag(`close ${operation.error ? `errno ${operation.error.errno}` : 'silently'}`);
        break;
    }
  }
  const result = closeAt >= 0 ? 'connection closed' : refused ? 'a set refused' : 'every operation answered';
  return { result, tags };
}

function describe(input: UapiInput): string {
  const text = new TextDecoder().decode(input.stream.subarray(0, 4000));
  const mutations = input.kind === 'mutated' ? ` after ${input.mutations.join(', ')}` : '';
  return `${input.kind} conversation${mutations} (${input.stream.length} bytes in chunks ${JSON.stringify(input.chunks)}, end ${input.end}, private key ${formatKeyHex(input.conversation.privateKey)}): ${JSON.stringify(text)}`;
}

function checkRun(stats: RunStats): void {
  if (stats.inputs < ENOUGH_FOR_SHARES) return;
  const applied = stats.tags['valid set errno 0'] ?? 0;
  const refused = stats.tags[`valid set errno ${EADDRINUSE}`] ?? 0;
  assert.ok(applied >= 0.9 * (applied + refused), `only ${applied} of ${applied + refused} valid set requests applied`);
  assert.ok(
    countOf(stats, 'mutated', 'every operation answered') < stats.kinds.mutated,
    'no mutated conversation went wrong',
  );
  if (stats.inputs >= ENOUGH_FOR_REACH) {
    const expected = [
      'valid get',
      'valid set errno 0',
      `valid set errno ${EADDRINUSE}`,
      'mutated set errno 0',
      `mutated set errno ${EINVAL}`,
      `mutated set errno ${EPROTO}`,
      `mutated reject errno ${EINVAL}`,
      `mutated close errno ${EIO}`,
      'mutated close silently',
    ];
    assert.deepEqual(missingTags(stats, expected), [], 'answers no conversation produced');
  }
}

export const uapiTarget: FuzzTargetModule = {
  name: 'uapi',
  title: 'wg(8) control protocol: framing, set/get, apply to the in-memory and the engine device',
  create: (): FuzzTarget<UapiInput> => ({ generate, check, describe }),
  checkRun,
};
