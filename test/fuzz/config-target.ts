// The wg-quick config module under generated documents. Valid ones must parse
// to the model they were written from, with every position right, lint as the
// model says, and survive serialize → parse and strip → parse. Mutated ones
// must be refused with errors that name a real line (and, for a key's problem,
// the key and the column of the offending text) — or, if they still parse,
// obey the same round trips. Address and key texts are checked against Node's
// own parsers on the side.
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import {
  CONFIG_ERROR_CODES,
  CONFIG_WARNING_CODES,
  MAX_CONFIG_BYTES,
  MAX_REPORTED_ERRORS,
  checkConfig,
  checkConfigBytes,
  formatDiagnostic,
  parseConfig,
  parseKeyText,
  serializeConfig,
  stripConfig,
} from '../../helper/src/config/index.js';
import type {
  ConfigCheck,
  ConfigDiagnostic,
  ConfigLocations,
  SourcePosition,
  WgQuickConfig,
} from '../../helper/src/config/index.js';
import { formatIpAddress, parseIpAddress } from '../../helper/src/net/ip.js';
import {
  parseFwMark,
  parseListenPort,
  parseMtu,
  parsePersistentKeepalive,
  parseTable,
  type ValueResult,
} from '../../helper/src/config/values.js';
import { addressLikeText } from './addresses.js';
import {
  documentText,
  generateConfigDocument,
  keyLikeText,
  numberLikeText,
  type ConfigDocument,
} from './config-generator.js';
import { concat, mutateBytes, mutateLines } from './mutate.js';
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

interface Probes {
  readonly address: string;
  readonly key: string;
  readonly number: string;
}

type ConfigInput =
  | { readonly kind: 'valid'; readonly document: ConfigDocument; readonly text: string; readonly probes: Probes }
  | {
      readonly kind: 'mutated';
      readonly text: string;
      readonly bytes?: Uint8Array;
      readonly mutations: readonly string[];
      readonly probes: Probes;
    };

/** Byte sequences no UTF-8 decoder may accept: a stray continuation, a truncated sequence, an overlong NUL, a surrogate. */
const INVALID_UTF8 = [[0xff], [0x80], [0xc3], [0xe2, 0x82], [0xc0, 0x80], [0xed, 0xa0, 0x80]];

function mutate(random: Random, document: ConfigDocument): Omit<Extract<ConfigInput, { kind: 'mutated' }>, 'probes'> {
  const huge = random.chance(0.02);
  const { lines, mutations } = mutateLines(random, document.lines, 4, { hugeLength: huge ? 200_000 : 4_000 });
  const special: string[] = [];
  if (random.chance(0.005)) {
    // Past the reporting limit: the same bad line over and over.
    const at = random.below(lines.length + 1);
    lines.splice(
      at,
      0,
      ...new Array<string>(random.int(MAX_REPORTED_ERRORS, MAX_REPORTED_ERRORS + 60)).fill(
        `${random.pick(['x', 'Key', '[Peer', 'MTU = no'])}`,
      ),
    );
    special.push('repeat-bad-line');
  }
  if (random.chance(0.002)) {
    lines.push(`# ${'padding '.repeat(MAX_CONFIG_BYTES / 8)}`);
    special.push('over-the-size-limit');
  }
  const text = documentText({ ...document, lines });
  if (!random.chance(0.1)) return { kind: 'mutated', text, mutations: [...mutations, ...special] };
  const encoded = new TextEncoder().encode(text);
  let bytes = mutateBytes(random, encoded, 2, { maxLength: encoded.length + 64 }).bytes;
  if (random.chance(0.5)) {
    const at = random.int(0, bytes.length);
    bytes = concat(bytes.subarray(0, at), Uint8Array.from(random.pick(INVALID_UTF8)), bytes.subarray(at));
  }
  return { kind: 'mutated', text, bytes, mutations: [...mutations, ...special, 'bytes'] };
}

function generate(random: Random): ConfigInput {
  const document = generateConfigDocument(random);
  const probes = { address: addressLikeText(random), key: keyLikeText(random), number: numberLikeText(random) };
  if (random.chance(0.4)) return { kind: 'valid', document, text: documentText(document), probes };
  return { ...mutate(random, document), probes };
}

// ---- properties ----

/** The lines as a reader of the file sees them: without a leading byte order mark, split at '\n'. */
function sourceLines(text: string): string[] {
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Problems of the whole file, not of a line. */
const FILE_CODES: ReadonlySet<string> = new Set(['file-too-large', 'not-utf8', 'nul-byte', 'missing-interface']);
/** Problems of one key's value, reported as "Key: ..." at the value. */
const VALUE_CODES: ReadonlySet<string> = new Set([
  'missing-value',
  'duplicate-key',
  'bad-key-format',
  'bad-key-length',
  'not-a-number',
  'out-of-range',
  'bad-address',
  'bad-network',
  'bad-endpoint',
  'bad-dns',
  'bad-table',
  'bad-boolean',
]);
/** Problems of a key as the file spells it. */
const SPELLED_KEY_CODES: ReadonlySet<string> = new Set(['key-outside-section', 'wrong-section', 'unknown-key']);

/** The text a message quotes first, when it quotes it whole and unescaped. */
function quotedText(message: string): string | undefined {
  return /^'([^']*)'(?: |$)/.exec(message)?.[1]?.match(/^(?!.*(\.\.\.|\\x)).*$/s)?.[0];
}

function assertAtLine(diagnostic: ConfigDiagnostic, lines: readonly string[]): string {
  const text = formatDiagnostic(diagnostic);
  assert.ok(
    diagnostic.line >= 1 && diagnostic.line <= lines.length,
    `${text}: line ${diagnostic.line} of ${lines.length}`,
  );
  const line = lines[diagnostic.line - 1]!;
  assert.ok(
    diagnostic.column >= 1 && diagnostic.column <= line.length + 1,
    `${text}: column ${diagnostic.column} of ${JSON.stringify(line)}`,
  );
  // A missing key is reported at its section's header, which cannot hold it.
  if (diagnostic.key !== undefined && diagnostic.code !== 'missing-public-key') {
    assert.ok(
      line.toLowerCase().includes(diagnostic.key.toLowerCase()),
      `${text}: line ${JSON.stringify(line)} does not hold key ${diagnostic.key}`,
    );
  }
  return line;
}

function assertErrorsNameTheirPlace(check: ConfigCheck, lines: readonly string[]): void {
  const { errors } = check;
  assert.ok(errors.length <= MAX_REPORTED_ERRORS + 1, `${errors.length} errors`);
  if (errors.length === MAX_REPORTED_ERRORS + 1) assert.equal(errors[MAX_REPORTED_ERRORS]!.code, 'too-many-errors');
  for (const error of errors) {
    const text = formatDiagnostic(error);
    assert.ok((CONFIG_ERROR_CODES as readonly string[]).includes(error.code), error.code);
    assert.ok(text.length < 400, `an unreadably long message: ${text.slice(0, 200)}...`);
    if (FILE_CODES.has(error.code)) {
      assert.deepEqual([error.line, error.column], [0, 0], text);
      continue;
    }
    const line = assertAtLine(error, lines);
    if (VALUE_CODES.has(error.code) || SPELLED_KEY_CODES.has(error.code) || error.code === 'missing-public-key') {
      assert.ok(error.key !== undefined, `${text}: names no key`);
    }
    const rest = VALUE_CODES.has(error.code) ? error.message.slice(`${error.key}: `.length) : error.message;
    if (VALUE_CODES.has(error.code))
      assert.ok(error.message.startsWith(`${error.key}: `), `${text}: does not start with its key`);
    const quoted = quotedText(rest);
    if (quoted !== undefined && quoted !== '') {
      assert.ok(
        line.startsWith(quoted, error.column - 1),
        `${text}: column ${error.column} of ${JSON.stringify(line)} is not where ${JSON.stringify(quoted)} is`,
      );
    }
  }
}

function assertPositionHolds(
  at: SourcePosition | undefined,
  lines: readonly string[],
  expected: string,
  what: string,
): void {
  assert.ok(at, `${what}: no position`);
  const line = lines[at.line - 1];
  assert.ok(line !== undefined, `${what}: line ${at.line} of ${lines.length}`);
  assert.ok(
    line
      .slice(at.column - 1)
      .toLowerCase()
      .startsWith(expected.toLowerCase()),
    `${what}: ${JSON.stringify(line)} at column ${at.column} is not ${expected}`,
  );
}

function assertLocationsHold(config: WgQuickConfig, locations: ConfigLocations, lines: readonly string[]): void {
  assertPositionHolds(locations.interface.header, lines, '[interface]', '[Interface]');
  for (const [key, at] of Object.entries(locations.interface.keys)) assertPositionHolds(at, lines, key, key);
  assert.equal(locations.peers.length, config.peers.length);
  locations.peers.forEach((peer, p) => {
    assertPositionHolds(peer.header, lines, '[peer]', `peer ${p + 1}`);
    for (const [key, at] of Object.entries(peer.keys)) assertPositionHolds(at, lines, key, key);
    assert.equal(peer.allowedIps.length, config.peers[p]!.allowedIps.length);
    for (const at of peer.allowedIps) assert.ok(at.line >= 1 && at.line <= lines.length && at.column >= 1);
  });
}

function assertRoundTrips(config: WgQuickConfig): void {
  const text = serializeConfig(config);
  const again = parseConfig(text);
  assert.ok(
    again.ok,
    `the serialized config does not parse:\n${text}\n${again.ok ? '' : again.errors.map(formatDiagnostic).join('\n')}`,
  );
  assert.deepEqual(again.config, config);
  assert.equal(serializeConfig(again.config), text, 'serializing is not canonical');
}

/** `wg-quick strip` keeps what wg(8) reads: the peers, and of the interface only its key, port and mark. */
function assertStrips(text: string, config: WgQuickConfig): void {
  const stripped = stripConfig(text);
  assert.ok(stripped.ok);
  const parsed = parseConfig(stripped.text);
  assert.ok(parsed.ok, `the stripped config does not parse:\n${stripped.text}`);
  assert.deepEqual(parsed.config.peers, config.peers);
  const { privateKey, listenPort, fwMark } = config.interface;
  const kept = { privateKey, listenPort, fwMark };
  const left = {
    privateKey: parsed.config.interface.privateKey,
    listenPort: parsed.config.interface.listenPort,
    fwMark: parsed.config.interface.fwMark,
  };
  assert.deepEqual(left, kept);
  assert.deepEqual(parsed.config.interface.addresses, []);
  assert.deepEqual(parsed.config.interface.postUp, []);
}

const hasHostBits = (cidr: { bytes: Uint8Array; prefix: number }) =>
  [...cidr.bytes].some(
    (byte, i) =>
      (byte & (i * 8 >= cidr.prefix ? 0xff : i * 8 + 8 > cidr.prefix ? 0xff >> (cidr.prefix - i * 8) : 0)) !== 0,
  );

/** The warnings the model calls for, counted, where they follow from the model alone. */
function expectedWarnings(document: ConfigDocument): Record<string, number> {
  const { interface: iface, peers } = document.config;
  const expected: Record<string, number> = {
    'missing-private-key': iface.privateKey ? 0 : 1,
    'mtu-out-of-range': iface.mtu !== undefined && (iface.mtu < 1280 || iface.mtu > 9000) ? 1 : 0,
    'scripts-present': [iface.preUp, iface.postUp, iface.preDown, iface.postDown].filter((list) => list.length > 0)
      .length,
    'no-peers': peers.length === 0 ? 1 : 0,
    'no-endpoint': peers.length > 0 && peers.every((peer) => !peer.endpoint) ? 1 : 0,
    'allowed-ip-host-bits': peers.reduce((sum, peer) => sum + peer.allowedIps.filter(hasHostBits).length, 0),
    'dns-leak':
      peers.length > 0 &&
      iface.dns.length === 0 &&
      peers.some((peer) => peer.allowedIps.some((cidr) => cidr.prefix === 0))
        ? 1
        : 0,
    'duplicate-peer': peers.filter((peer, i) =>
      peers.slice(0, i).some((earlier) => Buffer.compare(earlier.publicKey, peer.publicKey) === 0),
    ).length,
    'peer-is-self': document.selfPeers,
  };
  return expected;
}

function assertWarnings(check: ConfigCheck, lines: readonly string[], document: ConfigDocument | undefined): void {
  for (const warning of check.warnings) {
    assert.ok((CONFIG_WARNING_CODES as readonly string[]).includes(warning.code), warning.code);
    if (warning.line !== 0) assertAtLine(warning, lines);
  }
  if (!document) return;
  const counted: Record<string, number> = {};
  for (const code of Object.keys(expectedWarnings(document)))
    counted[code] = check.warnings.filter((w) => w.code === code).length;
  assert.deepEqual(counted, expectedWarnings(document));
}

/** Node reads addresses with the same rules as inet_pton (zones aside, which an address here may not have); WHATWG URL writes IPv6 as RFC 5952 does. */
function assertAddressAgreesWithNode(text: string): void {
  const ours = parseIpAddress(text);
  const node = text.includes('%') ? 0 : isIP(text);
  assert.equal(
    ours?.family ?? 0,
    node,
    `parseIpAddress(${JSON.stringify(text)}) is ${ours ? `IPv${ours.family}` : 'refused'}; Node says ${node || 'refused'}`,
  );
  if (!ours) return;
  const canonical = ours.family === 4 ? text : new URL(`http://[${text}]/`).hostname.slice(1, -1);
  assert.equal(formatIpAddress(ours), canonical, `the bytes read from ${JSON.stringify(text)}`);
}

/** A key is canonical base64 of 32 bytes: what Node decodes and encodes back to the same text. */
function assertKeyAgreesWithNode(text: string): void {
  const ours = parseKeyText(text);
  const decoded = Buffer.from(text, 'base64');
  const canonical = decoded.toString('base64') === text;
  assert.equal(ours.ok, canonical && decoded.length === 32, `parseKeyText(${JSON.stringify(text)})`);
  if (ours.ok) assert.deepEqual(Buffer.from(ours.key), decoded);
  else if (ours.problem === 'wrong-length')
    assert.deepEqual([canonical, ours.byteLength], [true, decoded.length], `parseKeyText(${JSON.stringify(text)})`);
}

/** The value of a number as wg(8) reads one (strtoul: any number of leading zeros), if it is within [min, max]. */
function inRange(value: bigint | undefined, min: number, max: number): number | undefined {
  return value !== undefined && value >= BigInt(min) && value <= BigInt(max) ? Number(value) : undefined;
}

/** Every numeric key takes exactly the numbers in its range, whatever their spelling, and reads them right. */
function assertNumbersAgreeWithBigInt(text: string): void {
  const decimal = /^[0-9]+$/.test(text) ? BigInt(text) : undefined;
  const hex = /^0x[0-9a-fA-F]+$/.test(text) ? BigInt(text) : undefined;
  const off = text.toLowerCase() === 'off' ? 0 : undefined;
  const cases: [string, ValueResult<unknown>, unknown][] = [
    ['ListenPort', parseListenPort(text), inRange(decimal, 0, 65535)],
    ['MTU', parseMtu(text), inRange(decimal, 68, 65535)],
    ['PersistentKeepalive', parsePersistentKeepalive(text), off ?? inRange(decimal, 0, 65535)],
    ['FwMark', parseFwMark(text), off ?? inRange(decimal ?? hex, 0, 0xffffffff)],
    ['Table', parseTable(text), ['off', 'auto', 'main'].includes(text) ? text : inRange(decimal, 1, 0xffffffff)],
  ];
  for (const [key, result, expected] of cases) {
    assert.deepEqual(
      result.ok ? result.value : undefined,
      expected,
      `${key} = ${JSON.stringify(text)}: ${result.ok ? 'read' : result.problem}`,
    );
  }
}

function check(input: ConfigInput): { result: string; tags: string[] } {
  assertAddressAgreesWithNode(input.probes.address);
  assertKeyAgreesWithNode(input.probes.key);
  assertNumbersAgreeWithBigInt(input.probes.number);
  const bytes = input.kind === 'mutated' ? input.bytes : undefined;
  const checked = bytes ? checkConfigBytes(bytes) : checkConfig(input.text);
  let text = input.text;
  if (bytes) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      assert.deepEqual(
        checked.errors.map((e) => e.code),
        bytes.length > MAX_CONFIG_BYTES ? ['file-too-large'] : ['not-utf8'],
      );
      return { result: 'refused', tags: checked.errors.map((e) => e.code) };
    }
  }
  const lines = sourceLines(text);
  const document = input.kind === 'valid' ? input.document : undefined;
  if (document) {
    assert.deepEqual(checked.errors.map(formatDiagnostic), [], 'a valid document was refused');
    assert.deepEqual(checked.config, document.config);
    assert.deepEqual(checked.locations, document.locations);
  }
  const tags = [
    ...new Set([...checked.errors.map((e) => e.code), ...checked.warnings.map((w) => `warning ${w.code}`)]),
  ];
  if (!checked.config) {
    assert.ok(checked.errors.length > 0, 'neither a config nor an error');
    assertErrorsNameTheirPlace(checked, lines);
    const stripped = stripConfig(text);
    assert.ok(!stripped.ok, 'strip accepts what parse refuses');
    if (!bytes) assert.deepEqual(stripped.errors, checked.errors);
    return { result: 'refused', tags };
  }
  assert.deepEqual(checked.errors, []);
  assertLocationsHold(checked.config, checked.locations!, lines);
  assertWarnings(checked, lines, document);
  assertRoundTrips(checked.config);
  assertStrips(text, checked.config);
  return { result: checked.config.peers.length > 0 ? 'parsed with peers' : 'parsed without peers', tags };
}

function describe(input: ConfigInput): string {
  const text = JSON.stringify(input.text.length > 4000 ? `${input.text.slice(0, 4000)}...` : input.text);
  const bytes =
    input.kind === 'mutated' && input.bytes
      ? ` as bytes ${Buffer.from(input.bytes.subarray(0, 2000)).toString('hex')}`
      : '';
  const mutations = input.kind === 'mutated' ? ` after ${input.mutations.join(', ')}` : '';
  return `${input.kind} config${mutations} (${input.text.length} characters): ${text}${bytes}; probes ${JSON.stringify(input.probes)}`;
}

function checkRun(stats: RunStats): void {
  if (stats.inputs < ENOUGH_FOR_SHARES) return;
  const withPeers = countOf(stats, 'valid', 'parsed with peers');
  assert.equal(
    withPeers + countOf(stats, 'valid', 'parsed without peers'),
    stats.kinds.valid,
    'every valid document parses',
  );
  assert.ok(
    withPeers >= 0.85 * stats.kinds.valid,
    `only ${withPeers} of ${stats.kinds.valid} valid documents have a [Peer]`,
  );
  const refused = countOf(stats, 'mutated', 'refused');
  assert.ok(
    refused >= 0.4 * stats.kinds.mutated && refused <= 0.95 * stats.kinds.mutated,
    `${refused} of ${stats.kinds.mutated} mutated documents refused`,
  );
  if (stats.inputs >= ENOUGH_FOR_REACH) {
    const expected = [...CONFIG_ERROR_CODES, ...CONFIG_WARNING_CODES.map((code) => `warning ${code}`)];
    assert.deepEqual(missingTags(stats, expected), [], 'error and warning codes no input produced');
  }
}

export const configTarget: FuzzTargetModule = {
  name: 'config',
  title: 'wg-quick config: parse, check, lint, serialize, strip, keys',
  create: (): FuzzTarget<ConfigInput> => ({ generate, check, describe }),
  checkRun,
};
