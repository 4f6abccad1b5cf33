// Sizes of WireGuard messages on the wire (UDP payload), which is what both
// wireguard-go and the Linux kernel count in `wg show`'s transfer columns.
import { TUNNEL_MTU } from './pair.js';
import { VETH_MTU } from './veth.js';

export const HANDSHAKE_INITIATION_BYTES = 148;
export const HANDSHAKE_RESPONSE_BYTES = 92;
/** Type, reserved, receiver index and counter in front of the ciphertext. */
const TRANSPORT_HEADER_BYTES = 16;
const POLY1305_TAG_BYTES = 16;
const PADDING_MULTIPLE = 16;
/** What a transport message adds to its (padded) plaintext. */
export const TRANSPORT_OVERHEAD_BYTES = TRANSPORT_HEADER_BYTES + POLY1305_TAG_BYTES;

/**
 * A transport data message for an IP packet of `plaintextBytes`, padded to 16
 * bytes unless that would pass the MTU. Where the two rules of padding differ
 * (the kernel and wireguard-go pad such a packet up to the MTU, Wirefly leaves
 * it unpadded), tests count only packets of sizes on which they agree.
 */
export function transportMessageBytes(plaintextBytes: number, mtu = TUNNEL_MTU): number {
  const rounded = Math.ceil(plaintextBytes / PADDING_MULTIPLE) * PADDING_MULTIPLE;
  const padded = rounded > mtu ? plaintextBytes : rounded;
  return TRANSPORT_OVERHEAD_BYTES + padded;
}

export const KEEPALIVE_BYTES = transportMessageBytes(0);
/** A full-MTU packet: the largest message a peer sends. */
export const MAX_TRANSPORT_MESSAGE_BYTES = transportMessageBytes(TUNNEL_MTU);

const IP_HEADER_BYTES = { 4: 20, 6: 40 } as const;
const UDP_HEADER_BYTES = 8;

/** The largest datagram the outer link carries unfragmented. */
export function maxUdpPayload(family: 4 | 6): number {
  return VETH_MTU - IP_HEADER_BYTES[family] - UDP_HEADER_BYTES;
}
