// Parsers for single values of a wg-quick file. Each returns the value or a problem
// phrased for a person ("'10.0.0.300/32' is not an IPv4 or IPv6 network"); the
// parser puts the key and the line in front.
import { parseCidr, parseEndpoint, parseIpAddress, parseIpv4 } from '../net/ip.js';
import type { Cidr, IpAddress } from '../net/ip.js';
import { quote } from './diagnostics.js';
import type { ConfigErrorCode } from './diagnostics.js';
import { parseKeyText, WG_KEY_LEN, WG_KEY_LEN_BASE64 } from './keys.js';
import type { PeerEndpoint, RoutingTable } from './model.js';

export type ValueResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: ConfigErrorCode; readonly problem: string };

const ok = <T>(value: T): ValueResult<T> => ({ ok: true, value });
const fail = <T>(code: ConfigErrorCode, problem: string): ValueResult<T> => ({ ok: false, code, problem });

/** One entry of a list value and where it starts inside the value. */
export interface ListItem {
  readonly text: string;
  readonly offset: number;
}

/** Splits at every match of `separator`, trimming entries; `keepEmpty` keeps the empty ones. */
export function splitList(value: string, separator: RegExp, keepEmpty: boolean): ListItem[] {
  const items: ListItem[] = [];
  const pattern = new RegExp(separator.source, 'g');
  let start = 0;
  const push = (end: number) => {
    const raw = value.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    const text = raw.trim();
    if (text !== '' || keepEmpty) items.push({ text, offset: start + lead });
  };
  for (let match = pattern.exec(value); match; match = pattern.exec(value)) {
    push(match.index);
    start = match.index + match[0].length;
  }
  push(value.length);
  return items;
}

const DECIMAL = /^[0-9]+$/;

/** The digits without leading zeros, which wg(8)'s strtoul skips: only the rest can make a number too long to be exact. */
function significantDigits(digits: string): string {
  return digits.replace(/^0+(?=.)/, '');
}

export function parseDecimal(text: string, min: number, max: number): ValueResult<number> {
  if (!DECIMAL.test(text)) return fail('not-a-number', `${quote(text)} is not a number`);
  const digits = significantDigits(text);
  const value = digits.length > 16 ? Infinity : Number(digits);
  if (value < min || value > max) return fail('out-of-range', `${quote(text)} is out of range: use ${min} to ${max}`);
  return ok(value);
}

export function parseListenPort(text: string): ValueResult<number> {
  return parseDecimal(text, 0, 65535);
}

const UINT32_MAX = 0xffffffff;

/** `off`, a decimal number or a lowercase-0x hexadecimal number, as wg(8) reads it. */
export function parseFwMark(text: string): ValueResult<number> {
  if (text.toLowerCase() === 'off') return ok(0);
  if (/^0x[0-9a-fA-F]+$/.test(text)) {
    const digits = significantDigits(text.slice(2));
    const value = digits.length > 16 ? Infinity : parseInt(digits, 16);
    if (value > UINT32_MAX) return fail('out-of-range', `${quote(text)} is out of range: use off or 0 to 0xffffffff`);
    return ok(value);
  }
  if (!DECIMAL.test(text))
    return fail('not-a-number', `${quote(text)} is neither off nor a number (decimal or 0x hexadecimal)`);
  return parseDecimal(text, 0, UINT32_MAX);
}

export function parsePersistentKeepalive(text: string): ValueResult<number> {
  if (text.toLowerCase() === 'off') return ok(0);
  if (!DECIMAL.test(text)) return fail('not-a-number', `${quote(text)} is neither off nor a number of seconds`);
  return parseDecimal(text, 0, 65535);
}

/** The Linux minimum for IPv4 and the largest IP packet; lint warns well inside these. */
export const MTU_MIN = 68;
export const MTU_MAX = 65535;

export function parseMtu(text: string): ValueResult<number> {
  return parseDecimal(text, MTU_MIN, MTU_MAX);
}

/** wg-quick compares off/auto/main case-sensitively, so other spellings would name a table. */
export function parseTable(text: string): ValueResult<RoutingTable> {
  if (text === 'off' || text === 'auto' || text === 'main') return ok(text);
  if (DECIMAL.test(text)) {
    const number = parseDecimal(text, 1, UINT32_MAX);
    if (number.ok) return number;
  }
  return fail('bad-table', `${quote(text)} is not off, auto, main or a routing table number from 1 to ${UINT32_MAX}`);
}

/** wg-quick reads true/false ignoring case. */
export function parseBoolean(text: string): ValueResult<boolean> {
  const lower = text.toLowerCase();
  if (lower === 'true') return ok(true);
  if (lower === 'false') return ok(false);
  return fail('bad-boolean', `${quote(text)} is neither true nor false`);
}

export function parseKeyValue(text: string): ValueResult<Uint8Array> {
  const parsed = parseKeyText(text);
  if (parsed.ok) return ok(parsed.key);
  const expected = `a key is ${WG_KEY_LEN} bytes: ${WG_KEY_LEN_BASE64} base64 characters ending in '=', as wg genkey prints`;
  // 64 hex digits happen to be valid base64 too; the length alone would mislead.
  if (/^[0-9a-fA-F]{64}$/.test(text))
    return fail('bad-key-format', `${quote(text)} looks like a hexadecimal key; ${expected}`);
  if (parsed.problem === 'wrong-length') {
    return fail('bad-key-length', `${quote(text)} is ${parsed.byteLength} bytes long; ${expected}`);
  }
  return fail('bad-key-format', `${quote(text)} is not base64; ${expected}`);
}

const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/** A DNS name in ASCII: labels of letters, digits, '-' and '_', not all digits (that would read as an address). */
export function isDomainName(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name === '' || name.length > 253) return false;
  const labels = name.split('.');
  return labels.every((label) => LABEL.test(label)) && !/^[0-9.]+$/.test(name);
}

export function parseAddressEntry(text: string): ValueResult<Cidr> {
  const cidr = parseCidr(text);
  if (cidr) return ok(cidr);
  return fail('bad-address', `${quote(text)} is not an IPv4 or IPv6 address (with an optional /prefix)`);
}

export function parseNetworkEntry(text: string): ValueResult<Cidr> {
  if (text === '') return fail('bad-network', 'an entry is empty: remove the extra comma');
  const cidr = parseCidr(text);
  if (cidr) return ok(cidr);
  return fail('bad-network', `${quote(text)} is not an IPv4 or IPv6 network`);
}

export type DnsEntry =
  { readonly kind: 'server'; readonly address: IpAddress } | { readonly kind: 'search'; readonly domain: string };

/** wg-quick's own rule: digits and dots, or anything with a colon, is a resolver; the rest are search domains. */
export function parseDnsEntry(text: string): ValueResult<DnsEntry> {
  if (/^[0-9.]+$/.test(text) || text.includes(':')) {
    const address = parseIpAddress(text);
    if (address) return ok({ kind: 'server', address });
    return fail('bad-dns', `${quote(text)} is not an IPv4 or IPv6 address of a DNS server`);
  }
  if (isDomainName(text)) return ok({ kind: 'search', domain: text });
  return fail('bad-dns', `${quote(text)} is neither a DNS server address nor a search domain`);
}

export function parseEndpointValue(text: string): ValueResult<PeerEndpoint> {
  const numeric = parseEndpoint(text);
  if (numeric) {
    if (numeric.port === 0) return fail('bad-endpoint', `${quote(text)} has port 0; use the peer's port, 1 to 65535`);
    return ok({ kind: 'address', address: numeric });
  }
  const problem = (why: string) =>
    fail<PeerEndpoint>('bad-endpoint', `${quote(text)} is not host:port or [IPv6]:port: ${why}`);
  const colon = text.lastIndexOf(':');
  if (colon < 0) return problem('the port is missing');
  const host = text.slice(0, colon);
  const port = parseDecimal(text.slice(colon + 1), 1, 65535);
  if (text.startsWith('[')) {
    if (!host.endsWith(']')) return problem("the ']' before the port is missing");
    if (!port.ok) return problem('the port must be a number from 1 to 65535');
    return problem(`${quote(host.slice(1, -1))} is not an IPv6 address`);
  }
  if (host.includes(':')) return problem('write an IPv6 address in brackets, as [2001:db8::1]:51820');
  if (!port.ok) return problem('the port must be a number from 1 to 65535');
  if (/^[0-9.]+$/.test(host) && !parseIpv4(host)) return problem(`${quote(host)} is not an IPv4 address`);
  if (!isDomainName(host)) return problem(`${quote(host)} is not a host name`);
  return ok({ kind: 'hostname', host, port: port.value });
}
