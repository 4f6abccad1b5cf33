// The socket structs of macOS's headers, laid out for little-endian LP64
// (x86-64 and arm64 alike):
//   netinet/in.h   struct sockaddr_in { u_int8_t sin_len; sa_family_t sin_family;
//                  in_port_t sin_port; struct in_addr sin_addr; char sin_zero[8]; } (16)
//   netinet6/in6.h struct sockaddr_in6 { u_int8_t sin6_len; sa_family_t sin6_family;
//                  in_port_t sin6_port; u_int32_t sin6_flowinfo; struct in6_addr sin6_addr;
//                  u_int32_t sin6_scope_id; } (28)
//   netinet/in.h   struct in_pktinfo { unsigned int ipi_ifindex; struct in_addr ipi_spec_dst;
//                  struct in_addr ipi_addr; } (12)
//   netinet6/in6.h struct in6_pktinfo { struct in6_addr ipi6_addr; unsigned int ipi6_ifindex; } (20)
//   sys/socket.h   struct msghdr { void *msg_name; socklen_t msg_namelen; struct iovec *msg_iov;
//                  int msg_iovlen; void *msg_control; socklen_t msg_controllen; int msg_flags; } (48)
//                  struct cmsghdr { socklen_t cmsg_len; int cmsg_level; int cmsg_type; } (12),
//                  its data aligned to 4 bytes (__DARWIN_ALIGN32)
//   sys/_types/_iovec_t.h struct iovec { void *iov_base; size_t iov_len; } (16)
import type { IpFamily } from '../../net/ip.js';
import { AF_INET, AF_INET6 } from './af-header.js';

export const SOCKADDR_IN_SIZE = 16;
export const SOCKADDR_IN6_SIZE = 28;
export const MSGHDR_SIZE = 48;
export const IOVEC_SIZE = 16;
export const CMSGHDR_SIZE = 12;
export const IN_PKTINFO_SIZE = 12;
export const IN6_PKTINFO_SIZE = 20;

export const IPPROTO_IP = 0;
export const IPPROTO_IPV6 = 41;
export const SOL_SOCKET = 0xffff;
export const SO_SNDBUF = 0x1001;
export const SO_RCVBUF = 0x1002;
/** netinet/in.h: IP_RECVPKTINFO is IP_PKTINFO: asked for on receive, given on send. */
export const IP_PKTINFO = 26;
export const IPV6_V6ONLY = 27;
/** netinet6/in6.h with __APPLE_USE_RFC_3542. */
export const IPV6_RECVPKTINFO = 61;
export const IPV6_PKTINFO = 46;
/** sys/socket.h */
export const MSG_TRUNC = 0x10;
export const MSG_CTRUNC = 0x20;

export function cmsgAlign(length: number): number {
  return (length + 3) & ~3;
}

export function cmsgSpace(length: number): number {
  return cmsgAlign(CMSGHDR_SIZE) + cmsgAlign(length);
}

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function sockaddrSize(family: IpFamily): number {
  return family === 4 ? SOCKADDR_IN_SIZE : SOCKADDR_IN6_SIZE;
}

export function encodeSockaddr(into: Uint8Array, family: IpFamily, address: Uint8Array, port: number): number {
  const size = sockaddrSize(family);
  into.fill(0, 0, size);
  const v = view(into);
  v.setUint8(0, size);
  v.setUint8(1, family === 4 ? AF_INET : AF_INET6);
  v.setUint16(2, port, false);
  into.set(address.subarray(0, family === 4 ? 4 : 16), family === 4 ? 4 : 8);
  return size;
}

export interface SocketAddress {
  readonly family: IpFamily;
  readonly address: Uint8Array;
  readonly port: number;
}

export function decodeSockaddr(from: Uint8Array): SocketAddress | undefined {
  const v = view(from);
  const family = v.getUint8(1);
  const port = v.getUint16(2, false);
  if (family === AF_INET) return { family: 4, address: from.slice(4, 8), port };
  if (family === AF_INET6) return { family: 6, address: from.slice(8, 24), port };
  return undefined;
}

export interface MessageLayout {
  readonly name: bigint;
  readonly nameLength: number;
  readonly iov: bigint;
  readonly control: bigint;
  readonly controlLength: number;
}

export function encodeMsghdr(into: Uint8Array, layout: MessageLayout): void {
  const v = view(into);
  into.fill(0, 0, MSGHDR_SIZE);
  v.setBigUint64(0, layout.name, true);
  v.setUint32(8, layout.nameLength, true);
  v.setBigUint64(16, layout.iov, true);
  v.setInt32(24, 1, true);
  v.setBigUint64(32, layout.control, true);
  v.setUint32(40, layout.controlLength, true);
}

export function decodeMsghdr(from: Uint8Array): { nameLength: number; controlLength: number; flags: number } {
  const v = view(from);
  return { nameLength: v.getUint32(8, true), controlLength: v.getUint32(40, true), flags: v.getInt32(44, true) };
}

export function encodeIovec(into: Uint8Array, base: bigint, length: number): void {
  const v = view(into);
  v.setBigUint64(0, base, true);
  v.setBigUint64(8, BigInt(length), true);
}

/** The destination of a received datagram and the interface it came in on, from its IP_PKTINFO or IPV6_PKTINFO. */
export interface PacketInfo {
  readonly localAddress: Uint8Array;
  readonly interfaceIndex: number;
}

export function findPacketInfo(control: Uint8Array, length: number): PacketInfo | undefined {
  const v = view(control);
  for (let offset = 0; offset + CMSGHDR_SIZE <= length;) {
    const cmsgLength = v.getUint32(offset, true);
    if (cmsgLength < CMSGHDR_SIZE || offset + cmsgLength > length) return undefined;
    const level = v.getInt32(offset + 4, true);
    const type = v.getInt32(offset + 8, true);
    const data = offset + cmsgAlign(CMSGHDR_SIZE);
    if (level === IPPROTO_IP && type === IP_PKTINFO && cmsgLength >= CMSGHDR_SIZE + IN_PKTINFO_SIZE) {
      return { localAddress: control.slice(data + 8, data + 12), interfaceIndex: v.getUint32(data, true) };
    }
    if (level === IPPROTO_IPV6 && type === IPV6_PKTINFO && cmsgLength >= CMSGHDR_SIZE + IN6_PKTINFO_SIZE) {
      return { localAddress: control.slice(data, data + 16), interfaceIndex: v.getUint32(data + 16, true) };
    }
    offset += cmsgAlign(cmsgLength);
  }
  return undefined;
}

/** The control message that sends a datagram from `source`; returns its length. */
export function encodeSourceInfo(
  into: Uint8Array,
  family: IpFamily,
  source: Uint8Array,
  interfaceIndex: number,
): number {
  const v = view(into);
  const dataLength = family === 4 ? IN_PKTINFO_SIZE : IN6_PKTINFO_SIZE;
  const space = cmsgSpace(dataLength);
  into.fill(0, 0, space);
  v.setUint32(0, cmsgAlign(CMSGHDR_SIZE) + dataLength, true);
  v.setInt32(4, family === 4 ? IPPROTO_IP : IPPROTO_IPV6, true);
  v.setInt32(8, family === 4 ? IP_PKTINFO : IPV6_PKTINFO, true);
  const data = cmsgAlign(CMSGHDR_SIZE);
  if (family === 4) {
    // ipi_spec_dst is the source; no interface, so that routing picks it.
    into.set(source.subarray(0, 4), data + 4);
  } else {
    into.set(source.subarray(0, 16), data);
    v.setUint32(data + 16, interfaceIndex, true);
  }
  return space;
}
