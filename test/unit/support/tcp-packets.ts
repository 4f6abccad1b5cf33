// TCP/IP packets for the TUN offload tests: built here with valid checksums,
// and read back with every checksum checked, independently of the addon's C.

export const IPPROTO_TCP = 6;
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_CWR = 0x80;

/** The one's-complement sum of big-endian 16-bit words, folded to 16 bits. */
export function onesComplementSum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function ipVersion(packet: Uint8Array): 4 | 6 {
  return packet[0]! >> 4 === 6 ? 6 : 4;
}

function ipHeaderLength(packet: Uint8Array): number {
  return ipVersion(packet) === 6 ? 40 : (packet[0]! & 0x0f) * 4;
}

function pseudoHeaderSum(packet: Uint8Array, tcpLength: number): number {
  const addresses = ipVersion(packet) === 6 ? packet.subarray(8, 40) : packet.subarray(12, 20);
  return onesComplementSum(addresses) + IPPROTO_TCP + tcpLength;
}

export interface TcpView {
  readonly version: 4 | 6;
  readonly ipHeaderLength: number;
  readonly headerLength: number;
  readonly totalLength: number;
  readonly id: number;
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly payload: Uint8Array;
  readonly ipChecksumValid: boolean;
  readonly tcpChecksumValid: boolean;
}

const u16 = (bytes: Uint8Array, at: number): number => (bytes[at]! << 8) | bytes[at + 1]!;
const u32 = (bytes: Uint8Array, at: number): number => ((u16(bytes, at) << 16) | u16(bytes, at + 2)) >>> 0;

/** Reads a TCP/IP packet, or undefined when it is something else. */
export function readTcp(packet: Uint8Array): TcpView | undefined {
  const version = ipVersion(packet);
  const protocol = version === 6 ? packet[6] : packet[9];
  if (protocol !== IPPROTO_TCP) return undefined;
  const ip = ipHeaderLength(packet);
  const headerLength = ip + (packet[ip + 12]! >> 4) * 4;
  const totalLength = version === 6 ? 40 + u16(packet, 4) : u16(packet, 2);
  const tcp = packet.subarray(ip);
  return {
    version,
    ipHeaderLength: ip,
    headerLength,
    totalLength,
    id: version === 6 ? 0 : u16(packet, 4),
    sourcePort: u16(tcp, 0),
    destinationPort: u16(tcp, 2),
    seq: u32(tcp, 4),
    ack: u32(tcp, 8),
    flags: tcp[13]!,
    payload: packet.subarray(headerLength),
    ipChecksumValid: version === 6 || onesComplementSum(packet.subarray(0, ip)) === 0xffff,
    tcpChecksumValid: onesComplementSum(tcp, pseudoHeaderSum(packet, tcp.length)) === 0xffff,
  };
}

export interface TcpSpec {
  readonly version: 4 | 6;
  readonly source: Uint8Array;
  readonly destination: Uint8Array;
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly window?: number;
  /** TCP options, a multiple of 4 bytes. */
  readonly options?: Uint8Array;
  readonly id?: number;
  readonly payload: Uint8Array;
}

/** A TCP/IP packet with valid IPv4 header and TCP checksums. */
export function buildTcp(spec: TcpSpec): Uint8Array {
  const ip = spec.version === 6 ? 40 : 20;
  const options = spec.options ?? new Uint8Array(0);
  const tcpLength = 20 + options.length + spec.payload.length;
  const packet = new Uint8Array(ip + tcpLength);
  const view = new DataView(packet.buffer);
  if (spec.version === 6) {
    packet[0] = 0x60;
    view.setUint16(4, tcpLength);
    packet[6] = IPPROTO_TCP;
    packet[7] = 64;
    packet.set(spec.source, 8);
    packet.set(spec.destination, 24);
  } else {
    packet[0] = 0x45;
    view.setUint16(2, packet.length);
    view.setUint16(4, spec.id ?? 0);
    view.setUint16(6, 0x4000);
    packet[8] = 64;
    packet[9] = IPPROTO_TCP;
    packet.set(spec.source, 12);
    packet.set(spec.destination, 16);
    view.setUint16(10, ~onesComplementSum(packet.subarray(0, 20)) & 0xffff);
  }
  view.setUint16(ip, spec.sourcePort);
  view.setUint16(ip + 2, spec.destinationPort);
  view.setUint32(ip + 4, spec.seq >>> 0);
  view.setUint32(ip + 8, spec.ack >>> 0);
  packet[ip + 12] = ((20 + options.length) / 4) << 4;
  packet[ip + 13] = spec.flags;
  view.setUint16(ip + 14, spec.window ?? 502);
  packet.set(options, ip + 20);
  packet.set(spec.payload, ip + 20 + options.length);
  const checksum = ~onesComplementSum(packet.subarray(ip), pseudoHeaderSum(packet, tcpLength)) & 0xffff;
  view.setUint16(ip + 16, checksum);
  return packet;
}

/** The pseudo-header sum (not complemented) the kernel leaves in the field of a NEEDS_CSUM packet. */
export function withPartialChecksum(packet: Uint8Array): Uint8Array {
  const copy = packet.slice();
  const ip = ipHeaderLength(copy);
  const tcpLength = copy.length - ip;
  new DataView(copy.buffer).setUint16(ip + 16, onesComplementSum(new Uint8Array(0), pseudoHeaderSum(copy, tcpLength)));
  return copy;
}
