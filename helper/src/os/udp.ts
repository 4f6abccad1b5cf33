// The engine's UDP transport: IPv6 and IPv4 bound to one port, datagrams in and
// out in batches, replies leaving from the address the peer wrote to, and the
// socket mark (wg's fwmark) for policy routing. Each platform supplies its own
// (platform.ts picks it).
import type { Endpoint, IpFamily } from '../net/ip.js';

/**
 * The largest UDP payload there is: a tunnel MTU can be as large as its outer
 * path carries (a loopback's 65536), and a transport message is the packet
 * plus 32 bytes, so any smaller limit silently drops a jumbo tunnel's packets.
 */
export const MAX_DATAGRAM_SIZE = 65527;

/**
 * The datagrams of one receive wake-up. It and every view it returns are
 * reused for the next wake-up: copy what must outlive the handler call.
 */
export interface DatagramBatch {
  readonly count: number;
  /** Datagram `index` (a view into the batch's buffer). */
  datagram(index: number): Uint8Array;
  sourceFamily(index: number): IpFamily;
  /** 4 or 16 bytes, network order (a view). */
  sourceAddress(index: number): Uint8Array;
  sourcePort(index: number): number;
  /** The address the datagram was sent to (a view, same family as the source); undefined if unknown. */
  localAddress(index: number): Uint8Array | undefined;
  /** The index of the interface it came in on; 0 if unknown. */
  localInterface(index: number): number;
  /** The source as a fresh Endpoint that owns its bytes and carries the sticky local source. */
  endpoint(index: number): Endpoint;
}

export interface UdpHandler {
  /** One call per wake-up of either socket. */
  datagrams(batch: DatagramBatch): void;
  /**
   * The kernel refused the endpoint's sticky source (the address is gone), so
   * the datagram left from the address routing chose: forget localAddress.
   * Reported once the send that found it has returned, never during it, so
   * the caller's state does not change under its own send.
   */
  staleSource?(endpoint: Endpoint): void;
  /** A socket broke and the transport closed; without this handler the error is thrown. */
  error?(error: Error): void;
}

export interface UdpStats {
  /** Datagrams not sent: a full socket buffer, no route, a firewall. */
  readonly sendDropped: number;
  /** Datagrams received larger than maxDatagramSize (or, in a train, beyond a batch's room), dropped. */
  readonly receiveTruncated: number;
  /** Messages sent as a train of datagrams with UDP_SEGMENT, and the datagrams in them. */
  readonly sendSegmented: number;
  readonly sendSegmentedDatagrams: number;
  /** Trains the kernel would not segment, whose datagrams went one by one instead. */
  readonly sendSegmentationRefused: number;
  /** Received messages the kernel had coalesced (UDP_GRO), and the datagrams split from them. */
  readonly receiveCoalesced: number;
  readonly receiveCoalescedDatagrams: number;
}

export interface UdpTransport {
  readonly port: number;
  /** Sends datagrams[i] to endpoints[i]; returns how many were sent (the rest are dropped and counted). */
  sendBatch(datagrams: readonly Uint8Array[], endpoints: readonly Endpoint[]): number;
  send(datagram: Uint8Array, endpoint: Endpoint): boolean;
  /** SO_MARK on both sockets, for policy routing (wg's fwmark); 0 clears it. Linux only (needs CAP_NET_ADMIN); elsewhere it throws. */
  setMark(mark: number): void;
  stats(): UdpStats;
  /** Idempotent; after it, sends return 0 and no batch is delivered. */
  close(): void;
}
