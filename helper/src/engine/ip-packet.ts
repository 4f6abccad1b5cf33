// Just enough of IPv4/IPv6 to route a packet by its addresses, trim transport
// padding, and answer an unroutable packet with ICMP destination unreachable.
import type { IpFamily } from '../net/ip.js';

export const IPV4_HEADER_MIN = 20;
export const IPV6_HEADER_SIZE = 40;
const IPV4_SOURCE = 12;
const IPV4_DESTINATION = 16;
const IPV6_SOURCE = 8;
const IPV6_DESTINATION = 24;
const PROTOCOL_ICMP = 1;
const PROTOCOL_ICMPV6 = 58;

export interface PacketAddresses {
  readonly family: IpFamily;
  readonly sourceOffset: number;
  readonly destinationOffset: number;
  /** The length the IP header claims, which may be shorter than the buffer (padding). */
  readonly length: number;
}

/** Addresses and length of an IP packet, or undefined if it is not a well-formed header. */
export function packetAddresses(packet: Uint8Array): PacketAddresses | undefined {
  if (packet.length < 1) return undefined;
  const version = packet[0]! >> 4;
  if (version === 4) {
    if (packet.length < IPV4_HEADER_MIN) return undefined;
    const length = (packet[2]! << 8) | packet[3]!;
    if (length < IPV4_HEADER_MIN || length > packet.length) return undefined;
    return { family: 4, sourceOffset: IPV4_SOURCE, destinationOffset: IPV4_DESTINATION, length };
  }
  if (version === 6) {
    if (packet.length < IPV6_HEADER_SIZE) return undefined;
    const length = IPV6_HEADER_SIZE + ((packet[4]! << 8) | packet[5]!);
    if (length > packet.length) return undefined;
    return { family: 6, sourceOffset: IPV6_SOURCE, destinationOffset: IPV6_DESTINATION, length };
  }
  return undefined;
}

function onesComplementSum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  for (let i = start; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if ((end - start) & 1) sum += bytes[end - 1]! << 8;
  return sum;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function writeUint16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >> 8;
  bytes[offset + 1] = value & 0xff;
}

/** ICMP errors are never answered with ICMP errors (RFC 1122 3.2.2, RFC 4443 2.4). */
function isIcmpError(packet: Uint8Array, family: IpFamily): boolean {
  if (family === 4) {
    const headerLength = (packet[0]! & 0x0f) * 4;
    return (
      packet[9] === PROTOCOL_ICMP && packet.length > headerLength && [3, 4, 5, 11, 12].includes(packet[headerLength]!)
    );
  }
  return packet[6] === PROTOCOL_ICMPV6 && packet.length > IPV6_HEADER_SIZE && packet[IPV6_HEADER_SIZE]! < 128;
}

function isUnspecifiedOrMulticast(packet: Uint8Array, at: PacketAddresses): boolean {
  const size = at.family === 4 ? 4 : 16;
  const source = packet.subarray(at.sourceOffset, at.sourceOffset + size);
  if (source.every((b) => b === 0)) return true;
  const destinationFirst = packet[at.destinationOffset]!;
  return at.family === 4 ? destinationFirst >= 224 : destinationFirst === 0xff;
}

/**
 * The ICMP "host unreachable" (IPv4) or "address unreachable" (IPv6) answer to a
 * packet nobody can carry, from its destination back to its sender; undefined for
 * packets that must not be answered.
 */
export function destinationUnreachable(packet: Uint8Array): Uint8Array | undefined {
  const at = packetAddresses(packet);
  if (!at || isIcmpError(packet, at.family) || isUnspecifiedOrMulticast(packet, at)) return undefined;
  return at.family === 4 ? icmpv4Unreachable(packet, at) : icmpv6Unreachable(packet, at);
}

const ICMPV4_QUOTE_MAX = 576 - IPV4_HEADER_MIN - 8;

function icmpv4Unreachable(packet: Uint8Array, at: PacketAddresses): Uint8Array {
  const quote = packet.subarray(0, Math.min(at.length, ICMPV4_QUOTE_MAX));
  const out = new Uint8Array(IPV4_HEADER_MIN + 8 + quote.length);
  out[0] = 0x45;
  writeUint16(out, 2, out.length);
  out[8] = 64;
  out[9] = PROTOCOL_ICMP;
  out.set(packet.subarray(IPV4_DESTINATION, IPV4_DESTINATION + 4), IPV4_SOURCE);
  out.set(packet.subarray(IPV4_SOURCE, IPV4_SOURCE + 4), IPV4_DESTINATION);
  writeUint16(out, 10, fold(onesComplementSum(out, 0, IPV4_HEADER_MIN)));
  const icmp = IPV4_HEADER_MIN;
  out[icmp] = 3; // destination unreachable
  out[icmp + 1] = 1; // host unreachable, as the kernel's WireGuard sends
  out.set(quote, icmp + 8);
  writeUint16(out, icmp + 2, fold(onesComplementSum(out, icmp, out.length)));
  return out;
}

const ICMPV6_QUOTE_MAX = 1280 - IPV6_HEADER_SIZE - 8;

function icmpv6Unreachable(packet: Uint8Array, at: PacketAddresses): Uint8Array {
  const quote = packet.subarray(0, Math.min(at.length, ICMPV6_QUOTE_MAX));
  const payloadLength = 8 + quote.length;
  const out = new Uint8Array(IPV6_HEADER_SIZE + payloadLength);
  out[0] = 0x60;
  writeUint16(out, 4, payloadLength);
  out[6] = PROTOCOL_ICMPV6;
  out[7] = 64;
  out.set(packet.subarray(IPV6_DESTINATION, IPV6_DESTINATION + 16), IPV6_SOURCE);
  out.set(packet.subarray(IPV6_SOURCE, IPV6_SOURCE + 16), IPV6_DESTINATION);
  const icmp = IPV6_HEADER_SIZE;
  out[icmp] = 1; // destination unreachable
  out[icmp + 1] = 3; // address unreachable
  out.set(quote, icmp + 8);
  // The checksum covers a pseudo-header of both addresses, the length and the next header.
  let sum = onesComplementSum(out, IPV6_SOURCE, IPV6_SOURCE + 32);
  sum += payloadLength + PROTOCOL_ICMPV6;
  sum = onesComplementSum(out, icmp, out.length, sum);
  writeUint16(out, icmp + 2, fold(sum));
  return out;
}
