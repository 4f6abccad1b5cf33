// IP addresses, networks and UDP endpoints as bytes, with strict text forms.
// Pure: shared by the engine, the control socket and the config module.

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
}

export interface Cidr extends IpAddress {
  readonly prefix: number;
}

export interface Endpoint extends IpAddress {
  readonly port: number;
  /**
   * The "sticky source" of an endpoint learned from a received datagram: the
   * local address it was sent to (same family as the endpoint) and the index
   * of the interface it came in on, so that replies leave from the address the
   * peer wrote to. Not part of the endpoint's identity (sameEndpoint ignores it).
   */
  readonly localAddress?: Uint8Array;
  readonly localInterface?: number;
}

export function addressLength(family: IpFamily): 4 | 16 {
  return family === 4 ? 4 : 16;
}

const IPV4_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;

export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!IPV4_OCTET.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

export function parseIpv6(text: string): Uint8Array | undefined {
  // An optional zone ("%eth0") is not part of the address.
  if (text.includes('%')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  // A dotted IPv4 part can only be the address's last 32 bits, so only the last half may end in one.
  const parseGroups = (part: string, isLast: boolean): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (isLast && i === items.length - 1 && item.includes('.')) {
        const v4 = parseIpv4(item);
        if (!v4) return undefined;
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (IPV6_GROUP.test(item)) {
        groups.push(parseInt(item, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const head = parseGroups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

export function parseIpAddress(text: string): IpAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIpv6(text);
  if (v6) return { family: 6, bytes: v6 };
  return undefined;
}

export function formatIpAddress(address: IpAddress): string {
  const b = address.bytes;
  if (address.family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  // RFC 5952: the longest run (of at least two) zero groups becomes "::".
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** Parses "a.b.c.d/n" or "x::y/n"; a bare address is a host network. Host bits are kept. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const address = parseIpAddress(slash < 0 ? text : text.slice(0, slash));
  if (!address) return undefined;
  const max = address.family === 4 ? 32 : 128;
  if (slash < 0) return { ...address, prefix: max };
  const prefixText = text.slice(slash + 1);
  if (!/^(?:0|[1-9][0-9]{0,2})$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > max) return undefined;
  return { ...address, prefix };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIpAddress(cidr)}/${cidr.prefix}`;
}

/** The network with every bit past the prefix cleared. */
export function maskCidr(cidr: Cidr): Cidr {
  const bytes = new Uint8Array(cidr.bytes);
  for (let bit = cidr.prefix; bit < bytes.length * 8; bit++) {
    bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  }
  return { family: cidr.family, bytes, prefix: cidr.prefix };
}

/** Whether `address` lies in `network` (its host bits ignored). */
export function cidrContainsAddress(network: Cidr, address: IpAddress): boolean {
  return (
    network.family === address.family &&
    equalBytes(maskCidr(network).bytes, maskCidr({ ...address, prefix: network.prefix }).bytes)
  );
}

/** Whether every address of `inner` lies in `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return outer.prefix <= inner.prefix && cidrContainsAddress(outer, inner);
}

/** Whether two networks share any address: one of them holds the other. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const prefix = Math.min(a.prefix, b.prefix);
  return equalBytes(maskCidr({ ...a, prefix }).bytes, maskCidr({ ...b, prefix }).bytes);
}

export function cidrHasHostBits(cidr: Cidr): boolean {
  return !equalBytes(maskCidr(cidr).bytes, cidr.bytes);
}

/** Parses "1.2.3.4:51820" or "[2001:db8::1]:51820" (numeric addresses only). */
export function parseEndpoint(text: string): Endpoint | undefined {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return undefined;
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return undefined;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return undefined;
  }
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  const address = text.startsWith('[') ? parseIpv6(host) : parseIpv4(host);
  if (!address) return undefined;
  return { family: address.length === 4 ? 4 : 6, bytes: address, port };
}

export function formatEndpoint(endpoint: Endpoint): string {
  const host = formatIpAddress(endpoint);
  return endpoint.family === 4 ? `${host}:${endpoint.port}` : `[${host}]:${endpoint.port}`;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function sameIpAddress(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && equalBytes(a.bytes, b.bytes);
}

export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.port === b.port && sameIpAddress(a, b);
}
