// The engine's UDP transport: IPv6 and IPv4 bound to one port, datagrams in and
// out in batches, replies leaving from the address the peer wrote to, and the
// socket mark (wg's fwmark) for policy routing. Each platform supplies its own.
import { bindNativeUdp, type DatagramBatch, type NativeUdp, type NativeUdpHandler } from './linux/udp.js';

export type UdpTransport = NativeUdp;
export type { DatagramBatch, NativeUdpHandler as UdpHandler };

/**
 * The largest UDP payload there is: a tunnel MTU can be as large as its outer
 * path carries (a loopback's 65536), and a transport message is the packet
 * plus 32 bytes, so any smaller limit silently drops a jumbo tunnel's packets.
 */
export const MAX_DATAGRAM_SIZE = 65527;

/** Binds both families to `port` (0: a free port both get). Throws EADDRINUSE errors as is. */
export function bindUdp(port: number, handler: NativeUdpHandler): UdpTransport {
  switch (process.platform) {
    case 'linux':
      return bindNativeUdp(port, handler, { maxDatagramSize: MAX_DATAGRAM_SIZE });
    default:
      throw new Error(`UDP transport is not supported on ${process.platform} yet`);
  }
}
