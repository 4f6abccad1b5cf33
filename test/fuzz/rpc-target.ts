// The app <-> helper protocol under generated streams: lines of JSON messages,
// valid or mutated (as values and as text), cut into chunks and read as the
// helper and the client read them. Valid messages must come out as they went
// in; everything else must be refused with a ProtocolError that keeps the
// request's id where it has a usable one, and whose answer the other side can
// itself read. The reader must hold no more than its limit and read the next
// line after any garbage.
import assert from 'node:assert/strict';
import {
  MAX_MESSAGE_BYTES,
  METHODS,
  MessageReader,
  ProtocolError,
  decodeClientMessage,
  decodeHelperMessage,
  type Decoded,
  type Frame,
  type Method,
} from '../../helper/src/rpc/index.js';
import { concat, mutateBytes, mutateLines } from './mutate.js';
import type { Random } from './random.js';
import { clientMessage, encodeJson, helperMessage, mutateValue, type Direction, type Json } from './rpc-generator.js';
import {
  ENOUGH_FOR_REACH,
  ENOUGH_FOR_SHARES,
  missingTags,
  type FuzzTarget,
  type FuzzTargetModule,
  type RunStats,
} from './target.js';

interface Message {
  readonly original: Json;
  /** For a successful reply: the method whose result it carries. */
  readonly method?: Method;
}

interface RpcInput {
  readonly kind: 'valid' | 'mutated';
  readonly direction: Direction;
  readonly messages: readonly Message[];
  /** The lines, the sentinel message after them. */
  readonly stream: Uint8Array;
  readonly chunks: readonly number[];
  readonly maxBytes: number;
  readonly mutations: readonly string[];
}

/** Written after everything else, on a line of its own: whatever came before, it must be read. */
const SENTINELS: Record<Direction, Json> = {
  client: { type: 'request', id: 7, method: 'status', params: {} },
  helper: { type: 'hello', protocolVersion: 1, helperVersion: 'sentinel' },
};

function generate(random: Random): RpcInput {
  const direction: Direction = random.chance(0.5) ? 'client' : 'helper';
  const messages = Array.from({ length: random.int(1, 6) }, (): Message =>
    direction === 'client' ? { original: clientMessage(random) } : helperMessage(random),
  );
  const valid = random.chance(0.4);
  const mutations: string[] = [];
  const lines = messages.map(({ original }) => {
    if (valid || random.chance(0.3)) return encodeJson(original);
    if (random.chance(0.6)) {
      const mutated = mutateValue(random, original);
      mutations.push(...mutated.mutations);
      return encodeJson(mutated.value);
    }
    const mutated = mutateLines(random, [encodeJson(original)], 2, {
      hugeLength: random.chance(0.01) ? 2 * MAX_MESSAGE_BYTES : 2_000,
    });
    mutations.push(...mutated.mutations);
    return mutated.lines.join('\n');
  });
  const blank = () => (random.chance(0.1) ? random.pick(['\n', '\r\n']) : '');
  let body: Uint8Array = new TextEncoder().encode(
    lines.map((line) => `${blank()}${line}${random.chance(0.2) ? '\r\n' : '\n'}`).join(''),
  );
  if (!valid && random.chance(0.1)) {
    const mutated = mutateBytes(random, body, 3, { maxLength: body.length + 64 });
    body = mutated.bytes;
    mutations.push(...mutated.mutations);
  }
  const stream = concat(body, new TextEncoder().encode(`\n${encodeJson(SENTINELS[direction])}\n`));
  const chunks = random.chance(0.5)
    ? []
    : Array.from({ length: random.int(1, 30) }, () =>
        random.chance(0.7) ? random.int(1, 16) : random.int(1, stream.length),
      );
  const maxBytes = !valid && random.chance(0.3) ? random.int(128, 4096) : MAX_MESSAGE_BYTES;
  return { kind: valid ? 'valid' : 'mutated', direction, messages, stream, chunks, maxBytes, mutations };
}

function read(input: RpcInput, chunks: readonly number[]): Frame[] {
  const reader = new MessageReader(input.maxBytes);
  const frames: Frame[] = [];
  let offset = 0;
  for (const size of [...chunks, input.stream.length]) {
    if (offset >= input.stream.length) break;
    frames.push(...reader.push(input.stream.subarray(offset, offset + size)));
    offset += size;
    assert.ok(
      reader.buffered <= input.maxBytes,
      `the reader holds ${reader.buffered} bytes, over its limit of ${input.maxBytes}`,
    );
  }
  assert.equal(reader.buffered, 0, 'bytes left over after the last newline');
  return frames;
}

/**
 * The value as JSON text, written without recursion: a mutated message may nest
 * deeper than the stack goes, and JSON.stringify and assert.deepEqual recurse.
 */
function flatJson(value: unknown): string {
  const out: string[] = [];
  const stack: ({ readonly text: string } | { readonly value: unknown })[] = [{ value }];
  for (let task = stack.pop(); task; task = stack.pop()) {
    if ('text' in task) {
      out.push(task.text);
      continue;
    }
    const item = task.value;
    if (item === null || typeof item !== 'object') {
      out.push(JSON.stringify(item));
      continue;
    }
    const entries = Array.isArray(item) ? item.map((v): [string, unknown] => ['', v]) : Object.entries(item);
    const [open, close] = Array.isArray(item) ? ['[', ']'] : ['{', '}'];
    stack.push({ text: close });
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, v] = entries[i]!;
      stack.push({ value: v });
      if (!Array.isArray(item)) stack.push({ text: `${JSON.stringify(key)}:` });
      if (i > 0) stack.push({ text: ',' });
    }
    stack.push({ text: open });
  }
  return out.join('');
}

const summary = (frames: readonly Frame[]) =>
  frames.map((frame) => (frame.kind === 'message' ? flatJson(frame.value) : frame.error.code));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The helper answers a refused message; the client must be able to read that answer. */
function assertAnswerReadable(error: ProtocolError, id: number | undefined): void {
  const body = { code: error.code, message: error.message };
  const answer = id === undefined ? { type: 'error', error: body } : { type: 'reply', id, ok: false, error: body };
  const decoded = decodeHelperMessage(JSON.parse(JSON.stringify(answer)));
  assert.ok(
    decoded.ok,
    `the client cannot read the helper's answer ${JSON.stringify(answer).slice(0, 300)}: ${decoded.ok ? '' : decoded.error.message}`,
  );
}

function decode(direction: Direction, value: unknown): Decoded<unknown> {
  return direction === 'client' ? decodeClientMessage(value) : decodeHelperMessage(value);
}

/** What decoding a message made of it, checked; returns the tag to count it under. */
function checkMessage(direction: Direction, value: unknown): { tag: string; decoded: Decoded<unknown> } {
  const decoded = decode(direction, value);
  if (decoded.ok) {
    const text = flatJson(decoded.message);
    const again = decode(direction, JSON.parse(text));
    assert.ok(again.ok, 'a decoded message does not decode again');
    assert.equal(flatJson(again.message), text);
    const message = decoded.message as Record<string, unknown>;
    if (direction === 'client' && message.type === 'request') {
      const params = message.params as Record<string, unknown>;
      if ('name' in params) assert.match(params.name as string, /^[a-zA-Z0-9_=+.-]{1,15}$/);
      return { tag: `client decoded request ${String(message.method)}`, decoded };
    }
    return { tag: `${direction} decoded ${String(message.type)}`, decoded };
  }
  assert.ok(decoded.error instanceof ProtocolError, `not a ProtocolError: ${String(decoded.error)}`);
  if (direction === 'client') {
    const unknownMethod =
      isRecord(value) &&
      value.type === 'request' &&
      typeof value.method === 'string' &&
      !Object.hasOwn(METHODS, value.method);
    assert.equal(decoded.error.code, unknownMethod ? 'unknown-method' : 'bad-message');
    const id =
      isRecord(value) && Number.isSafeInteger(value.id) && (value.id as number) >= 0 ? (value.id as number) : undefined;
    assert.equal(decoded.id, id, 'the request id to answer under');
    assertAnswerReadable(decoded.error, decoded.id);
  } else {
    assert.equal(decoded.error.code, 'bad-message');
  }
  return { tag: `${direction} ${decoded.error.code}`, decoded };
}

function check(input: RpcInput): { result: string; tags: string[] } {
  const frames = read(input, input.chunks);
  assert.deepEqual(summary(frames), summary(read(input, [])), 'the frames depend on how the stream was cut');
  const last = frames[frames.length - 1];
  assert.ok(last?.kind === 'message', 'the line after the garbage was not read');
  assert.deepEqual(last.value, SENTINELS[input.direction]);
  const messageFrames = frames.slice(0, -1);
  if (input.kind === 'valid') {
    assert.deepEqual(
      summary(messageFrames),
      input.messages.map((m) => flatJson(m.original)),
      'the messages read are not the ones written',
    );
  }
  const tags: string[] = [];
  let rejected = false;
  for (const [i, frame] of messageFrames.entries()) {
    if (frame.kind === 'error') {
      assert.ok(['bad-message', 'message-too-large'].includes(frame.error.code), frame.error.code);
      assertAnswerReadable(frame.error, undefined);
      tags.push(`frame ${frame.error.code}`);
      rejected = true;
      continue;
    }
    const { tag, decoded } = checkMessage(input.direction, frame.value);
    tags.push(tag);
    if (!decoded.ok) rejected = true;
    if (input.kind !== 'valid') continue;
    const message = input.messages[i]!;
    assert.ok(decoded.ok, `a valid message was refused: ${decoded.ok ? '' : decoded.error.message}`);
    assert.deepEqual(decoded.message, message.original);
    const extra = decode(input.direction, { ...(message.original as Record<string, Json>), extra: 1 });
    assert.deepEqual(extra, decoded, 'an unknown key changed the message');
    if (message.method) {
      const result = (message.original as { result: unknown }).result;
      assert.ok(METHODS[message.method].result.safeParse(result).success, `not a result of ${message.method}`);
    }
  }
  return { result: rejected ? 'some refused' : 'all decoded', tags };
}

function describe(input: RpcInput): string {
  const text = new TextDecoder().decode(input.stream.subarray(0, 4000));
  const mutations = input.kind === 'mutated' ? ` after ${input.mutations.join(', ')}` : '';
  return `${input.kind} ${input.direction} stream${mutations} (${input.stream.length} bytes, limit ${input.maxBytes}, chunks ${JSON.stringify(input.chunks)}): ${JSON.stringify(text)}`;
}

function checkRun(stats: RunStats): void {
  if (stats.inputs < ENOUGH_FOR_SHARES) return;
  assert.equal(stats.results['valid all decoded'], stats.kinds.valid, 'every valid stream decodes');
  if (stats.inputs >= ENOUGH_FOR_REACH) {
    const expected = [
      ...Object.keys(METHODS).map((method) => `client decoded request ${method}`),
      'client decoded hello',
      'helper decoded hello',
      'helper decoded reply',
      'helper decoded error',
      'helper decoded event',
      'client bad-message',
      'client unknown-method',
      'helper bad-message',
      'frame bad-message',
      'frame message-too-large',
    ];
    assert.deepEqual(missingTags(stats, expected), [], 'outcomes no stream produced');
  }
}

export const rpcTarget: FuzzTargetModule = {
  name: 'rpc',
  title: 'app <-> helper messages: framing, decoding, zod schemas',
  create: (): FuzzTarget<RpcInput> => ({ generate, check, describe }),
  checkRun,
};
