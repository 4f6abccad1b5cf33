// Every packet through a utun carries a 4-byte header first: the address
// family in network byte order (AF_INET 2, AF_INET6 30 on macOS, sys/socket.h).
export const AF_HEADER_SIZE = 4;
export const AF_INET = 2;
export const AF_INET6 = 30;

/** The header for an IP packet, from its version nibble; undefined for anything else. */
export function afHeaderFor(packet: Uint8Array): Uint8Array | undefined {
  const version = (packet[0] ?? 0) >> 4;
  if (version === 4) return AF_INET_HEADER;
  if (version === 6) return AF_INET6_HEADER;
  return undefined;
}

/** The family a read packet's header names: 4, 6, or undefined for any other. */
export function familyOfAfHeader(header: Uint8Array): 4 | 6 | undefined {
  if (header.length < AF_HEADER_SIZE) return undefined;
  const family = new DataView(header.buffer, header.byteOffset, AF_HEADER_SIZE).getUint32(0, false);
  return family === AF_INET ? 4 : family === AF_INET6 ? 6 : undefined;
}

const AF_INET_HEADER = new Uint8Array([0, 0, 0, AF_INET]);
const AF_INET6_HEADER = new Uint8Array([0, 0, 0, AF_INET6]);
