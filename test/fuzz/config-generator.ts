// wg-quick documents from the grammar: every key of both sections with values
// in all the spellings the parser accepts (key case, spacing, comments, CRLF,
// a byte order mark, compressed and embedded-IPv4 IPv6, hex marks, `off`), each
// with the model it means and where its parts stand, so that a check can
// compare what the parser read against what was written. Texts of keys and of
// numbers alone are generated here too, for the checks against Node's base64
// and against BigInt.
import type {
  ConfigLocations,
  InterfaceConfig,
  PeerConfig,
  PeerEndpoint,
  PeerLocations,
  RoutingTable,
  SourcePosition,
  WgQuickConfig,
} from '../../helper/src/config/index.js';
import { publicKeyFromPrivate } from '../../helper/src/config/index.js';
import { cidr, ipAddress, ipv4, ipv6, type Rendered } from './addresses.js';
import { EDGE_NUMBERS } from './mutate.js';
import type { Random } from './random.js';

export interface ConfigDocument {
  /** Without line endings; a line holds no '\n'. */
  readonly lines: readonly string[];
  readonly lineEnding: '\n' | '\r\n';
  readonly byteOrderMark: boolean;
  readonly finalNewline: boolean;
  readonly config: WgQuickConfig;
  readonly locations: ConfigLocations;
  /** How many peers have the interface's own public key (given on purpose: it never happens by chance). */
  readonly selfPeers: number;
}

export function documentText(
  document: Pick<ConfigDocument, 'lines' | 'lineEnding' | 'byteOrderMark' | 'finalNewline'>,
): string {
  const body =
    document.lines.join(document.lineEnding) +
    (document.finalNewline && document.lines.length > 0 ? document.lineEnding : '');
  return (document.byteOrderMark ? '\uFEFF' : '') + body;
}

// ---- values ----

const LABEL_CHARACTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-';

function label(random: Random): string {
  const length = random.weighted([
    [6, random.int(1, 12)],
    [1, random.int(13, 63)],
  ] as const);
  let text = '';
  for (let i = 0; i < length; i++) {
    const edge = i === 0 || i === length - 1;
    text += LABEL_CHARACTERS[random.below(LABEL_CHARACTERS.length - (edge ? 1 : 0))];
  }
  return text;
}

/** A host name as isDomainName reads one: it may end in '.', and is never all digits and dots. */
function domainName(random: Random): string {
  const labels = Array.from({ length: random.int(1, 4) }, () => label(random));
  while (labels.length > 1 && labels.join('.').length > 253) labels.pop();
  if (labels.every((l) => /^[0-9]+$/.test(l))) labels[labels.length - 1] = `x${labels[labels.length - 1]!.slice(1)}`;
  return labels.join('.') + (random.chance(0.1) ? '.' : '');
}

/** `digits` with leading zeros now and then, as every decimal field accepts them. */
function decimal(random: Random, value: number): string {
  return random.chance(0.05) ? `${'0'.repeat(random.int(1, 3))}${value}` : String(value);
}

function edgeBiased(random: Random, min: number, max: number, edges: readonly number[]): number {
  return random.chance(0.3) ? random.pick(edges) : random.int(min, max);
}

function randomCase(random: Random, text: string): string {
  return random.weighted<() => string>([
    [5, () => text],
    [1, () => text.toLowerCase()],
    [1, () => text.toUpperCase()],
    [1, () => [...text].map((c) => (random.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('')],
  ])();
}

function keyBytes(random: Random): Uint8Array {
  return random.weighted<() => Uint8Array>([
    [20, () => random.bytes(32)],
    [1, () => new Uint8Array(32)],
    [1, () => new Uint8Array(32).fill(0xff)],
  ])();
}

function keyText(key: Uint8Array): string {
  return Buffer.from(key).toString('base64');
}

/** Base64 keys and their near misses: other lengths, missing padding, stray bits in the last character, hex, whitespace. */
export function keyLikeText(random: Random): string {
  const key = keyText(
    random.bytes(
      random.weighted([
        [6, 32],
        [1, random.int(0, 40)],
      ] as const),
    ),
  );
  return random.weighted<() => string>([
    [4, () => key],
    [1, () => key.replace(/=+$/, '')],
    [
      1,
      () =>
        `${key.slice(0, -2)}${random.pick([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'])}=`,
    ],
    [1, () => Buffer.from(random.bytes(32)).toString('hex')],
    [1, () => key.replace(/\+/g, '-').replace(/\//g, '_')],
    [1, () => `${key.slice(0, 20)}${random.pick([' ', '\t', '=', '.', 'é', '\0'])}${key.slice(21)}`],
    [1, () => `${key}=`],
  ])();
}

function endpoint(random: Random): Rendered<PeerEndpoint> {
  const port = edgeBiased(random, 1, 65535, [1, 53, 443, 51820, 65535]);
  const portText = port < 10_000 && random.chance(0.05) ? String(port).padStart(5, '0') : String(port);
  return random.weighted<() => Rendered<PeerEndpoint>>([
    [
      3,
      () => {
        const a = ipv4(random);
        return { value: { kind: 'address', address: { ...a.value, port } }, text: `${a.text}:${portText}` };
      },
    ],
    [
      2,
      () => {
        const a = ipv6(random);
        return { value: { kind: 'address', address: { ...a.value, port } }, text: `[${a.text}]:${portText}` };
      },
    ],
    [
      2,
      () => {
        const host = domainName(random);
        return { value: { kind: 'hostname', host, port }, text: `${host}:${portText}` };
      },
    ],
  ])();
}

const COMMAND_WORDS = [
  'echo',
  'ip',
  'route',
  'add',
  'iptables',
  '-A',
  'FORWARD',
  '%i',
  '$PWD',
  "'quoted value'",
  '"x y"',
  'a=b',
  '>/dev/null',
  '||',
  'true',
  'é',
  '日本',
];

/** A script command as the parser keeps it: no '#' (a comment), no surrounding whitespace. */
function command(random: Random): string {
  return Array.from({ length: random.int(1, 6) }, () => random.pick(COMMAND_WORDS)).join(
    random.pick([' ', ' ', '  ', '\t']),
  );
}

// ---- lines ----

interface Line {
  readonly text: string;
  /** Where each listed entry starts in the text, 0-based. */
  readonly entryStarts: readonly number[];
  /** Where the key starts, 0-based. */
  readonly keyStart: number;
}

const INDENTS = ['', '', '', ' ', '  ', '\t', ' \t'];

/** A long run of blanks, which every line reader must take in time linear in its length. */
function longBlanks(random: Random): string {
  return random.pick([' ', '\t']).repeat(random.int(1_000, 100_000));
}

/** Blanks before a key, now and then a long run of them. */
function indent(random: Random): string {
  return random.chance(0.0005) ? longBlanks(random) : random.pick(INDENTS);
}
const SPACES = ['', ' ', ' ', '  ', '\t'];
const TRAILERS = ['', '', '', ' ', '\t', ' # a comment', '#', '\t# [Peer] = x'];

/** What follows a line's value: blanks and comments, now and then a long run of blanks before one. */
function trailer(random: Random): string {
  return random.chance(0.0005) ? `${longBlanks(random)}# x` : random.pick(TRAILERS);
}

function keyLine(random: Random, key: string, entries: readonly string[], separators: readonly string[]): Line {
  const blanks = indent(random);
  let text = `${blanks}${randomCase(random, key)}${random.pick(SPACES)}=${random.pick(SPACES)}`;
  const entryStarts: number[] = [];
  entries.forEach((entry, i) => {
    if (i > 0) text += random.pick(separators);
    entryStarts.push(text.length);
    text += entry;
  });
  return { text: text + trailer(random), entryStarts, keyStart: blanks.length };
}

function singleLine(random: Random, key: string, value: string): Line {
  return keyLine(random, key, [value], []);
}

/** wg-quick splits these on commas and whitespace, and empty entries vanish. */
const WG_QUICK_SEPARATORS = [',', ', ', ', ', ' ', ' , ', ',,', '\t', ', \t'];
/** wg(8) splits AllowedIPs on commas and trims each entry. */
const WG_SEPARATORS = [',', ', ', ', ', ' ,', ' , ', ',\t'];

function header(random: Random, name: string): Line {
  const blanks = indent(random);
  return { text: `${blanks}${randomCase(random, name)}${trailer(random)}`, entryStarts: [], keyStart: blanks.length };
}

const FILLER = ['', '', '# a comment', '   ', '\t', '#[Peer]', '## PublicKey = x'];

// ---- sections ----

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] };

interface SectionPlan<M> {
  readonly model: M;
  /** Lines of the section's keys, in the order of the file, with the canonical key of each. */
  readonly lines: { readonly key: string; readonly line: Line }[];
  /** For AllowedIPs: which line each entry is on and where it starts. */
  readonly allowedIps: { readonly lineIndex: number; readonly start: number }[];
}

function listLines<T>(
  random: Random,
  key: string,
  items: readonly Rendered<T>[],
  separators: readonly string[],
  add: (value: T) => void,
  lines: SectionPlan<unknown>['lines'],
): { lineIndex: number; start: number }[] {
  const positions: { lineIndex: number; start: number }[] = [];
  let rest = [...items];
  while (rest.length > 0) {
    const take = random.int(1, rest.length);
    const chunk = rest.slice(0, take);
    rest = rest.slice(take);
    const line = keyLine(
      random,
      key,
      chunk.map((item) => item.text),
      separators,
    );
    chunk.forEach((item, i) => {
      add(item.value);
      positions.push({ lineIndex: lines.length, start: line.entryStarts[i]! });
    });
    lines.push({ key, line });
  }
  return positions;
}

function interfacePlan(random: Random): SectionPlan<InterfaceConfig> {
  const model: Mutable<InterfaceConfig> = {
    addresses: [],
    dns: [],
    dnsSearch: [],
    preUp: [],
    postUp: [],
    preDown: [],
    postDown: [],
    saveConfig: false,
  };
  const lines: SectionPlan<unknown>['lines'] = [];
  const single = (key: string, text: string) => lines.push({ key, line: singleLine(random, key, text) });
  const groups: (() => void)[] = [];
  if (random.chance(0.9)) {
    groups.push(() => {
      const key = keyBytes(random);
      model.privateKey = key;
      single('PrivateKey', keyText(key));
    });
  }
  if (random.chance(0.5)) {
    groups.push(() => {
      const port = edgeBiased(random, 0, 65535, [0, 1, 51820, 65535]);
      model.listenPort = port;
      single('ListenPort', decimal(random, port));
    });
  }
  if (random.chance(0.3)) {
    groups.push(() => {
      const mark = random.chance(0.2) ? 0 : edgeBiased(random, 1, 0xffffffff, [1, 0xca6c, 0x7fffffff, 0xffffffff]);
      model.fwMark = mark;
      const hex = () =>
        `0x${'0'.repeat(random.chance(0.1) ? random.int(1, 7) : 0)}${random.chance(0.3) ? mark.toString(16).toUpperCase() : mark.toString(16)}`;
      single(
        'FwMark',
        mark === 0 && random.chance(0.7)
          ? randomCase(random, 'off')
          : random.chance(0.5)
            ? hex()
            : decimal(random, mark),
      );
    });
  }
  if (random.chance(0.8)) {
    groups.push(() => {
      const entries = Array.from({ length: random.int(1, 5) }, () => cidr(random));
      listLines(random, 'Address', entries, WG_QUICK_SEPARATORS, (value) => model.addresses.push(value), lines);
    });
  }
  if (random.chance(0.5)) {
    groups.push(() => {
      const entries = Array.from({ length: random.int(1, 5) }, (): Rendered<() => void> => {
        if (random.chance(0.7)) {
          const address = ipAddress(random);
          return { value: () => model.dns.push(address.value), text: address.text };
        }
        const domain = domainName(random);
        return { value: () => model.dnsSearch.push(domain), text: domain };
      });
      listLines(random, 'DNS', entries, WG_QUICK_SEPARATORS, (push) => push(), lines);
    });
  }
  if (random.chance(0.3)) {
    groups.push(() => {
      const mtu = edgeBiased(random, 68, 65535, [68, 1279, 1280, 1420, 9000, 9001, 65535]);
      model.mtu = mtu;
      single('MTU', decimal(random, mtu));
    });
  }
  if (random.chance(0.2)) {
    groups.push(() => {
      const table: RoutingTable = random.chance(0.5)
        ? random.pick(['off', 'auto', 'main'] as const)
        : edgeBiased(random, 1, 0xffffffff, [1, 254, 0xffffffff]);
      model.table = table;
      single('Table', typeof table === 'number' ? decimal(random, table) : table);
    });
  }
  for (const [key, list] of [
    ['PreUp', model.preUp],
    ['PostUp', model.postUp],
    ['PreDown', model.preDown],
    ['PostDown', model.postDown],
  ] as const) {
    if (!random.chance(0.15)) continue;
    groups.push(() => {
      for (let i = random.int(1, 2); i > 0; i--) {
        const text = command(random);
        list.push(text);
        lines.push({ key, line: singleLine(random, key, text) });
      }
    });
  }
  if (random.chance(0.1)) {
    groups.push(() => {
      const value = random.chance(0.5);
      model.saveConfig = value;
      single('SaveConfig', randomCase(random, String(value)));
    });
  }
  // Key order is free, but the entries of a list keep their order, so whole keys are shuffled.
  for (const group of random.shuffle(groups)) group();
  return { model, lines, allowedIps: [] };
}

function peerPlan(random: Random, publicKey: Uint8Array): SectionPlan<PeerConfig> {
  const model: Mutable<PeerConfig> = { publicKey, allowedIps: [] };
  const lines: SectionPlan<unknown>['lines'] = [];
  const single = (key: string, text: string) => lines.push({ key, line: singleLine(random, key, text) });
  let allowedIps: { lineIndex: number; start: number }[] = [];
  const groups: (() => void)[] = [() => single('PublicKey', keyText(publicKey))];
  if (random.chance(0.4)) {
    groups.push(() => {
      const key = keyBytes(random);
      model.presharedKey = key;
      single('PresharedKey', keyText(key));
    });
  }
  if (random.chance(0.85)) {
    groups.push(() => {
      const entries = Array.from({ length: random.int(1, 6) }, () => cidr(random));
      allowedIps = listLines(
        random,
        'AllowedIPs',
        entries,
        WG_SEPARATORS,
        (value) => model.allowedIps.push(value),
        lines,
      );
    });
  }
  if (random.chance(0.7)) {
    groups.push(() => {
      const rendered = endpoint(random);
      model.endpoint = rendered.value;
      single('Endpoint', rendered.text);
    });
  }
  if (random.chance(0.4)) {
    groups.push(() => {
      const seconds = random.chance(0.2) ? 0 : edgeBiased(random, 1, 65535, [1, 25, 65535]);
      model.persistentKeepalive = seconds;
      single(
        'PersistentKeepalive',
        seconds === 0 && random.chance(0.7) ? randomCase(random, 'off') : decimal(random, seconds),
      );
    });
  }
  for (const group of random.shuffle(groups)) group();
  return { model, lines, allowedIps };
}

/** A fresh key mostly; now and then an earlier peer's (a duplicate) or the interface's own. */
function peerKey(random: Random, earlier: readonly Uint8Array[], own: () => Uint8Array | undefined): Uint8Array {
  const self = random.chance(0.02) ? own() : undefined;
  if (self) return self;
  if (earlier.length > 0 && random.chance(0.05)) return random.pick(earlier);
  return random.bytes(32);
}

/** A valid document: it must parse to exactly `config`, with `locations`. */
export function generateConfigDocument(random: Random): ConfigDocument {
  const iface = interfacePlan(random);
  const peerCount = random.weighted([
    [1, 0],
    [6, 1],
    [3, random.int(2, 4)],
    [1, random.int(5, 12)],
  ] as const);
  const peers: SectionPlan<PeerConfig>[] = [];
  const privateKey = iface.model.privateKey;
  let ownPublicKey: Uint8Array | undefined;
  // Computed only when wanted: it costs a scalar multiplication.
  const own = () => (ownPublicKey ??= privateKey && publicKeyFromPrivate(privateKey));
  for (let i = 0; i < peerCount; i++)
    peers.push(
      peerPlan(
        random,
        peerKey(
          random,
          peers.map((p) => p.model.publicKey),
          own,
        ),
      ),
    );
  const selfPeers = ownPublicKey
    ? peers.filter((p) => Buffer.compare(p.model.publicKey, ownPublicKey!) === 0).length
    : 0;
  const interfaceAt = random.chance(0.9) ? 0 : random.int(0, peers.length);
  const sections = [
    ...peers.slice(0, interfaceAt).map((p) => ['[Peer]', p] as const),
    ['[Interface]', iface] as const,
    ...peers.slice(interfaceAt).map((p) => ['[Peer]', p] as const),
  ];

  const lines: string[] = [];
  const filler = () => {
    while (random.chance(0.15)) lines.push(random.pick(FILLER));
  };
  const at = (lineIndex: number, start: number): SourcePosition => ({ line: lineIndex + 1, column: start + 1 });
  let interfaceLocations: ConfigLocations['interface'] | undefined;
  const peerLocations: PeerLocations[] = [];
  for (const [name, plan] of sections) {
    filler();
    const head = header(random, name);
    const headerAt = at(lines.length, head.keyStart);
    lines.push(head.text);
    const keys: Record<string, SourcePosition> = {};
    const lineNumbers: number[] = [];
    for (const { key, line } of plan.lines) {
      filler();
      keys[key] ??= at(lines.length, line.keyStart);
      lineNumbers.push(lines.length);
      lines.push(line.text);
    }
    if (name === '[Interface]') {
      interfaceLocations = { header: headerAt, keys };
    } else {
      peerLocations.push({
        header: headerAt,
        keys,
        allowedIps: plan.allowedIps.map(({ lineIndex, start }) => at(lineNumbers[lineIndex]!, start)),
      });
    }
  }
  filler();
  return {
    lines,
    lineEnding: random.chance(0.2) ? '\r\n' : '\n',
    byteOrderMark: random.chance(0.05),
    finalNewline: random.chance(0.9),
    config: { interface: iface.model, peers: peers.map((p) => p.model) },
    locations: { interface: interfaceLocations!, peers: peerLocations },
    selfPeers,
  };
}

/** Texts of numbers as the numeric keys take them, and near misses: leading zeros (many), hex, `off`, signs, spaces. */
export function numberLikeText(random: Random): string {
  const zeros = () => '0'.repeat(random.chance(0.5) ? random.int(0, 3) : random.int(4, 30));
  return random.weighted<() => string>([
    [3, () => random.pick(EDGE_NUMBERS)],
    [3, () => `${zeros()}${random.int(0, 70_000)}`],
    [2, () => `${zeros()}${random.int(0, 2 ** 33)}`],
    [2, () => `0x${zeros()}${random.int(0, 2 ** 33).toString(16)}`],
    [1, () => randomCase(random, random.pick(['off', 'auto', 'main', 'on']))],
    [1, () => `${random.pick(['-', '+', ' ', '0x', '0X'])}${random.int(0, 100)}`],
  ])();
}
