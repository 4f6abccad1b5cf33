// The keys of the two sections of a wg-quick file, what each value may be, and
// where it goes in the model. wg(8) reads the keys marked `wg`; wg-quick reads
// the others itself and leaves them out of what it hands to `wg setconf`.
import type { Cidr } from '../net/ip.js';
import type { ConfigErrorCode } from './diagnostics.js';
import type { InterfaceConfig, PeerConfig, SourcePosition } from './model.js';
import {
  parseAddressEntry,
  parseBoolean,
  parseDnsEntry,
  parseEndpointValue,
  parseFwMark,
  parseKeyValue,
  parseListenPort,
  parseMtu,
  parseNetworkEntry,
  parsePersistentKeepalive,
  parseTable,
  splitList,
} from './values.js';
import type { ValueResult } from './values.js';

/** A model object while it is being filled in. */
type Draft<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] };

export type InterfaceDraft = Draft<InterfaceConfig>;

export type PeerDraft = Draft<Omit<PeerConfig, 'publicKey'>> & {
  publicKey?: Uint8Array;
  allowedIpPositions: SourcePosition[];
};

export function emptyInterfaceDraft(): InterfaceDraft {
  return { addresses: [], dns: [], dnsSearch: [], preUp: [], postUp: [], preDown: [], postDown: [], saveConfig: false };
}

export function emptyPeerDraft(): PeerDraft {
  return { allowedIps: [], allowedIpPositions: [] };
}

export interface KeyContext<D> {
  readonly draft: D;
  /** The value, trimmed; never empty. */
  readonly value: string;
  /** Records a problem `offset` characters into the value. */
  problem(code: ConfigErrorCode, problem: string, offset: number): void;
  position(offset: number): SourcePosition;
}

export interface KeySpec<D> {
  /** Canonical spelling; files may use any case. */
  readonly name: string;
  /** Read by wg(8) (and so kept by `wg-quick strip`), not by wg-quick itself. */
  readonly wg: boolean;
  /** May appear more than once, each adding to a list. */
  readonly repeatable: boolean;
  apply(context: KeyContext<D>): void;
}

function single<D, T>(
  name: string,
  wg: boolean,
  parse: (text: string) => ValueResult<T>,
  assign: (draft: D, value: T) => void,
): KeySpec<D> {
  return {
    name,
    wg,
    repeatable: false,
    apply({ draft, value, problem }) {
      const result = parse(value);
      if (result.ok) assign(draft, result.value);
      else problem(result.code, result.problem, 0);
    },
  };
}

/** Each entry separately, so one bad entry does not hide the others. */
function list<D, T>(
  name: string,
  wg: boolean,
  separator: RegExp,
  parse: (text: string) => ValueResult<T>,
  add: (draft: D, value: T, position: SourcePosition) => void,
): KeySpec<D> {
  // wg(8) splits on commas and keeps empty entries (and fails on them); wg-quick splits on
  // commas and whitespace as a shell word list, where empty entries vanish.
  const keepEmpty = wg;
  return {
    name,
    wg,
    repeatable: true,
    apply({ draft, value, problem, position }) {
      for (const item of splitList(value, separator, keepEmpty)) {
        const result = parse(item.text);
        if (result.ok) add(draft, result.value, position(item.offset));
        else problem(result.code, result.problem, item.offset);
      }
    },
  };
}

function script(name: string, target: (draft: InterfaceDraft) => string[]): KeySpec<InterfaceDraft> {
  return { name, wg: false, repeatable: true, apply: ({ draft, value }) => void target(draft).push(value) };
}

const COMMA = /,/;
const COMMA_OR_SPACE = /[,\s]+/;

export const INTERFACE_KEYS: readonly KeySpec<InterfaceDraft>[] = [
  single('PrivateKey', true, parseKeyValue, (d, v) => (d.privateKey = v)),
  single('ListenPort', true, parseListenPort, (d, v) => (d.listenPort = v)),
  single('FwMark', true, parseFwMark, (d, v) => (d.fwMark = v)),
  list('Address', false, COMMA_OR_SPACE, parseAddressEntry, (d, v: Cidr) => d.addresses.push(v)),
  list('DNS', false, COMMA_OR_SPACE, parseDnsEntry, (d, entry) => {
    if (entry.kind === 'server') d.dns.push(entry.address);
    else d.dnsSearch.push(entry.domain);
  }),
  single('MTU', false, parseMtu, (d, v) => (d.mtu = v)),
  single('Table', false, parseTable, (d, v) => (d.table = v)),
  script('PreUp', (d) => d.preUp),
  script('PostUp', (d) => d.postUp),
  script('PreDown', (d) => d.preDown),
  script('PostDown', (d) => d.postDown),
  single('SaveConfig', false, parseBoolean, (d, v) => (d.saveConfig = v)),
];

export const PEER_KEYS: readonly KeySpec<PeerDraft>[] = [
  single('PublicKey', true, parseKeyValue, (d, v) => (d.publicKey = v)),
  single('PresharedKey', true, parseKeyValue, (d, v) => (d.presharedKey = v)),
  list('AllowedIPs', true, COMMA, parseNetworkEntry, (d, v, position) => {
    d.allowedIps.push(v);
    d.allowedIpPositions.push(position);
  }),
  single('Endpoint', true, parseEndpointValue, (d, v) => (d.endpoint = v)),
  single('PersistentKeepalive', true, parsePersistentKeepalive, (d, v) => (d.persistentKeepalive = v)),
];

export function findKey<D>(keys: readonly KeySpec<D>[], spelled: string): KeySpec<D> | undefined {
  const lower = spelled.toLowerCase();
  return keys.find((spec) => spec.name.toLowerCase() === lower);
}
