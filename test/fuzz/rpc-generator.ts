// Messages of the app <-> helper protocol from its schemas: every client
// message (the hello and each method's request) and every helper message (the
// hello, replies with results and errors, connection errors, events), with
// values at the edges of what the schemas allow; and structural mutations of
// them: keys dropped or added, values of another type, numbers and strings
// just past their limits, names of methods that are not there.
import { CONFIG_ERROR_CODES } from '../../helper/src/config/index.js';
import type {
  Diagnosis,
  KillSwitchPolicy,
  ClientMessage,
  HelperMessage,
  LogLine,
  Method,
  PeerStats,
  TunnelStats,
  TunnelSummary,
} from '../../helper/src/rpc/index.js';
import { DiagnosisCause, METHODS, PROTOCOL_VERSION, RPC_ERROR_CODES } from '../../helper/src/rpc/index.js';
import { generateConfigDocument, documentText } from './config-generator.js';
import { EDGE_NUMBERS } from './mutate.js';
import type { Random } from './random.js';

export type Direction = 'client' | 'helper';

const NAME_CHARACTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_=+.-';
const TEXT_PIECES = [
  'wg0',
  'hello',
  ' ',
  '\n',
  '\t',
  '"',
  '\\',
  '/',
  'é',
  '日本',
  '\u2028',
  '\u0000',
  '\ud800',
  '\u{1f600}',
  '{}',
  '[]',
  'null',
];
const TOPICS = ['state', 'stats', 'logs'] as const;
const STATES = ['inactive', 'activating', 'active', 'deactivating', 'error'] as const;
const METHOD_NAMES = Object.keys(METHODS) as Method[];

/** What JSON can carry; every generated message is one. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function tunnelName(random: Random): string {
  return Array.from({ length: random.int(1, 15) }, () => random.pick([...NAME_CHARACTERS])).join('');
}

function text(random: Random, max: number): string {
  let out = '';
  const length = random.int(0, Math.min(max, 40));
  while (out.length < length) out += random.chance(0.7) ? random.pick([...'abcxyz0189 ']) : random.pick(TEXT_PIECES);
  return out.slice(0, max);
}

function requestId(random: Random): number {
  return random.chance(0.3) ? random.pick([0, 1, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER]) : random.int(0, 1_000_000);
}

function safeInteger(random: Random): number {
  return random.chance(0.2)
    ? random.pick([0, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER])
    : random.int(-1000, 1_000_000);
}

function unixMs(random: Random): number {
  return random.chance(0.2) ? random.pick([0, 1.5, 1e15, -1]) : 1_700_000_000_000 + random.int(0, 1e9);
}

function topics(random: Random): string[] {
  return Array.from({ length: random.int(0, 5) }, () => random.pick(TOPICS));
}

/** Keys of optional fields are left out, never set to undefined: JSON would drop them and the comparison would differ. */
function optional<T>(random: Random, key: string, value: () => T): Record<string, T> {
  return random.chance(0.5) ? { [key]: value() } : {};
}

function configText(random: Random): string {
  return random.chance(0.7) ? documentText(generateConfigDocument(random)) : text(random, 200);
}

function params(random: Random, method: Method): Json {
  switch (method) {
    case 'tunnel.up':
    case 'boot.set':
      return {
        name: tunnelName(random),
        configText: configText(random),
        ...optional(random, 'killSwitch', () => random.chance(0.5)),
      };
    case 'tunnel.down':
    case 'boot.unset':
      return { name: tunnelName(random) };
    case 'tunnel.diagnose':
      return {
        name: tunnelName(random),
        ...optional(random, 'target', () => random.pick(['10.77.0.1', '192.0.2.1', 'fd00::1', '::1'])),
      };
    case 'killswitch.set':
      return { policy: killSwitchPolicy(random) };
    case 'tunnel.list':
    case 'status':
    case 'boot.list':
    case 'killswitch.get':
      return {};
    case 'subscribe':
    case 'unsubscribe':
      return { topics: topics(random) };
  }
}

export function clientMessage(random: Random): ClientMessage & Json {
  if (random.chance(0.15)) {
    return {
      type: 'hello',
      protocolVersion: random.chance(0.8) ? PROTOCOL_VERSION : safeInteger(random),
      client: text(random, 200),
    };
  }
  const method = random.pick(METHOD_NAMES);
  return { type: 'request', id: requestId(random), method, params: params(random, method) } as ClientMessage & Json;
}

function tunnelSummary(random: Random): TunnelSummary & Json {
  return {
    name: tunnelName(random),
    state: random.pick(STATES),
    ...optional(random, 'error', () => text(random, 100)),
    killSwitch: random.chance(0.5),
    ...optional(random, 'diagnosis', () => diagnosis(random)),
  };
}

function killSwitchPolicy(random: Random): KillSwitchPolicy & Json {
  return { mode: random.pick(['off', 'always-on'] as const), allowLan: random.chance(0.5) };
}

function diagnosis(random: Random): Diagnosis & Json {
  return {
    tunnel: tunnelName(random),
    at: random.int(0, 2 ** 40),
    cause: random.pick(DiagnosisCause.options),
    summary: text(random, 200),
    advice: text(random, 200),
    evidence: Array.from({ length: random.int(0, 4) }, () => text(random, 100)),
    ...optional(random, 'publicKey', () => text(random, 44)),
    ...optional(random, 'suggestedMtu', () => random.int(576, 9000)),
  };
}

function peerStats(random: Random): PeerStats & Json {
  return {
    publicKey: Buffer.from(random.bytes(32)).toString('base64'),
    ...optional(random, 'endpoint', () => `192.0.2.${random.int(0, 255)}:${random.int(1, 65535)}`),
    ...optional(random, 'latestHandshake', () => unixMs(random)),
    rxBytes: random.int(0, Number.MAX_SAFE_INTEGER),
    txBytes: random.int(0, 2 ** 40),
    allowedIps: Array.from({ length: random.int(0, 3) }, () => `10.${random.int(0, 255)}.0.0/16`),
  };
}

function tunnelStats(random: Random): TunnelStats & Json {
  return {
    tunnel: tunnelName(random),
    at: unixMs(random),
    listenPort: safeInteger(random),
    peers: Array.from({ length: random.int(0, 3) }, () => peerStats(random)),
  };
}

function logLine(random: Random): LogLine & Json {
  return {
    at: unixMs(random),
    level: random.pick(['debug', 'info', 'warn', 'error'] as const),
    source: random.pick(['helper', 'engine', 'network'] as const),
    ...optional(random, 'tunnel', () => tunnelName(random)),
    message: text(random, 400),
  };
}

/** A result as its method's schema describes it. */
function methodResult(random: Random, method: Method): Json {
  switch (method) {
    case 'tunnel.up':
      return { tunnel: tunnelSummary(random) };
    case 'tunnel.down':
    case 'boot.set':
    case 'boot.unset':
      return {};
    case 'tunnel.list':
      return { tunnels: Array.from({ length: random.int(0, 3) }, () => tunnelSummary(random)) };
    case 'boot.list':
      return { tunnels: Array.from({ length: random.int(0, 3) }, () => tunnelName(random)) };
    case 'status':
      return {
        helperVersion: text(random, 20),
        protocolVersion: PROTOCOL_VERSION,
        tunnels: Array.from({ length: random.int(0, 2) }, () => ({
          summary: tunnelSummary(random),
          ...optional(random, 'stats', () => tunnelStats(random)),
        })),
      };
    case 'subscribe':
    case 'unsubscribe':
      return { topics: topics(random) };
    case 'tunnel.diagnose':
      return { diagnosis: diagnosis(random) };
    case 'killswitch.get':
    case 'killswitch.set':
      return { policy: killSwitchPolicy(random) };
  }
}

function rpcError(random: Random): Json {
  const configErrors = () =>
    Array.from({ length: random.int(0, 3) }, () => ({
      line: random.int(0, 500),
      column: random.int(0, 80),
      ...optional(random, 'key', () => random.pick(['PrivateKey', 'AllowedIPs', 'x'])),
      code: random.pick(CONFIG_ERROR_CODES),
      message: text(random, 100),
    }));
  return {
    code: random.pick(RPC_ERROR_CODES),
    message: text(random, 16_384),
    ...optional(random, 'configErrors', configErrors),
  };
}

/** A helper message; a successful reply carries the result of `method`, so that the method's result schema can be checked too. */
export function helperMessage(random: Random): { original: HelperMessage & Json; method?: Method } {
  const kind = random.weighted([
    [1, 'hello'],
    [3, 'result'],
    [2, 'failure'],
    [1, 'error'],
    [3, 'event'],
  ] as const);
  switch (kind) {
    case 'hello':
      return { original: { type: 'hello', protocolVersion: safeInteger(random), helperVersion: text(random, 20) } };
    case 'result': {
      const method = random.pick(METHOD_NAMES);
      return {
        original: { type: 'reply', id: requestId(random), ok: true, result: methodResult(random, method) },
        method,
      };
    }
    case 'failure':
      return {
        original: { type: 'reply', id: requestId(random), ok: false, error: rpcError(random) } as HelperMessage & Json,
      };
    case 'error':
      return { original: { type: 'error', error: rpcError(random) } as HelperMessage & Json };
    case 'event':
      return {
        original: random.weighted<() => HelperMessage & Json>([
          [1, () => ({ type: 'event', event: 'tunnel.state', tunnel: tunnelSummary(random) })],
          [1, () => ({ type: 'event', event: 'tunnel.stats', stats: tunnelStats(random) })],
          [1, () => ({ type: 'event', event: 'log', line: logLine(random) })],
        ])(),
      };
  }
}

// ---- structural mutations ----

export type ValueMutation =
  | 'drop-key'
  | 'add-key'
  | 'retype'
  | 'edge-number'
  | 'edge-string'
  | 'rename-method'
  | 'retype-message'
  | 'deep-nesting';

/** Places in a value, the path to each and the value there; not deeper than any schema goes. */
function places(value: Json, path: (string | number)[] = []): { path: (string | number)[]; value: Json }[] {
  const here = [{ path, value }];
  if (path.length >= 8) return here;
  if (Array.isArray(value)) return [...here, ...value.flatMap((item, i) => places(item, [...path, i]))];
  if (value !== null && typeof value === 'object')
    return [...here, ...Object.entries(value).flatMap(([key, item]) => places(item, [...path, key]))];
  return here;
}

/**
 * `value` with the place at `path` replaced by what `replace` returns, or, for
 * an object's key, removed where it returns undefined. Keys are set as own
 * properties even when named '__proto__', as JSON.parse sets them.
 */
function replaceAt(value: Json, path: readonly (string | number)[], replace: (old: Json) => Json | undefined): Json {
  if (path.length === 0) return replace(value) ?? null;
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((item, i) => (i === head ? replaceAt(item, rest, replace) : item));
  const entries = Object.entries(value as Record<string, Json>);
  const next =
    rest.length === 0
      ? replace((value as Record<string, Json>)[head as string]!)
      : replaceAt((value as Record<string, Json>)[head as string]!, rest, replace);
  const kept = entries.filter(([key]) => key !== head);
  return Object.fromEntries(next === undefined ? kept : [...kept, [head as string, next]]);
}

/**
 * Stands for an array nested this deep, which JSON.stringify cannot write
 * (it recurses); encodeJson writes it into the text instead.
 */
function deepNestingMarker(depth: number): string {
  return `\u0000deep-nesting:${depth}`;
}

/** The value as one line of JSON. */
export function encodeJson(value: Json): string {
  return JSON.stringify(value).replace(
    /"\\u0000deep-nesting:(\d+)"/g,
    (_, depth: string) => '['.repeat(Number(depth)) + ']'.repeat(Number(depth)),
  );
}

function otherValue(random: Random): Json {
  return random.pick<() => Json>([
    () => null,
    () => true,
    () => random.int(-5, 5),
    () => text(random, 10),
    () => [],
    () => ({}),
    () => [text(random, 5)],
    () => ({ type: 'hello' }),
  ])();
}

const EDGE_STRINGS = [
  '',
  ' ',
  'a'.repeat(16),
  'wg0/../x',
  '..',
  'wg 0',
  'wg0\n',
  'é',
  '\u0000',
  'TUNNEL.UP',
  'constructor',
  '__proto__',
];
const UNKNOWN_METHODS = [
  'tunnel.explode',
  '',
  'TUNNEL.UP',
  'tunnel.up ',
  '__proto__',
  'toString',
  'constructor',
  'hasOwnProperty',
  'valueOf',
];

function applyValueMutation(random: Random, value: Json, mutation: ValueMutation): Json {
  const all = places(value);
  const inside = all.filter((place) => place.path.length > 0);
  const objects = all.filter(
    (place) => place.value !== null && typeof place.value === 'object' && !Array.isArray(place.value),
  );
  switch (mutation) {
    case 'drop-key': {
      const keyed = inside.filter((place) => typeof place.path[place.path.length - 1] === 'string');
      return keyed.length === 0 ? value : replaceAt(value, random.pick(keyed).path, () => undefined);
    }
    case 'add-key': {
      const target = random.pick(objects);
      const key = random.pick(['extra', '__proto__', 'constructor', 'type', 'id', 'toString']);
      return replaceAt(value, [...target.path, key], () => otherValue(random));
    }
    case 'retype':
      return inside.length === 0 ? value : replaceAt(value, random.pick(inside).path, () => otherValue(random));
    case 'edge-number': {
      const numbers = inside.filter((place) => typeof place.value === 'number');
      const edge = random.pick([
        -1,
        -0,
        0.5,
        2 ** 53,
        2 ** 53 + 2,
        1e308,
        -1e308,
        Number.MAX_SAFE_INTEGER + 1,
        Number(random.pick(EDGE_NUMBERS)) || 7,
      ]);
      return numbers.length === 0 ? value : replaceAt(value, random.pick(numbers).path, () => edge);
    }
    case 'edge-string': {
      const strings = inside.filter((place) => typeof place.value === 'string');
      const edge = random.chance(0.05)
        ? 'x'.repeat(random.pick([201, 16_385, 1024 * 1024 + 1]))
        : random.pick(EDGE_STRINGS);
      return strings.length === 0 ? value : replaceAt(value, random.pick(strings).path, () => edge);
    }
    case 'rename-method':
      return replaceAt(value, ['method'], () => random.pick(UNKNOWN_METHODS));
    case 'retype-message':
      return replaceAt(value, ['type'], () =>
        random.pick(['hello', 'request', 'reply', 'error', 'event', 'HELLO', '', 'x']),
      );
    case 'deep-nesting': {
      const nested = deepNestingMarker(random.chance(0.02) ? 100_000 : random.int(100, 3_000));
      return inside.length === 0 ? nested : replaceAt(value, random.pick(inside).path, () => nested);
    }
  }
}

const VALUE_MUTATIONS: readonly (readonly [number, ValueMutation])[] = [
  [3, 'drop-key'],
  [3, 'add-key'],
  [3, 'retype'],
  [2, 'edge-number'],
  [3, 'edge-string'],
  [1, 'rename-method'],
  [1, 'retype-message'],
  [1, 'deep-nesting'],
];

export function mutateValue(random: Random, value: Json): { value: Json; mutations: ValueMutation[] } {
  const mutations: ValueMutation[] = [];
  let out = value;
  for (let i = random.int(1, 2); i > 0; i--) {
    const mutation = random.weighted(VALUE_MUTATIONS);
    out = applyValueMutation(random, out, mutation);
    mutations.push(mutation);
  }
  return { value: out, mutations };
}
