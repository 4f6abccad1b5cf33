// The engine's UDP transport: IPv6 and IPv4 bound to one port, datagrams in and
// out in batches, replies leaving from the address the peer wrote to, and the
// socket mark (wg's fwmark) for policy routing. Each platform supplies its own.
import { bindNativeUdp, type DatagramBatch, type NativeUdp, type NativeUdpHandler } from './linux/udp.js';

export type UdpTransport = NativeUdp;
export type { DatagramBatch, NativeUdpHandler as UdpHandler };

/** Large enough for a transport message at a 9000-byte tunnel MTU, with room to spare. */
export const MAX_DATAGRAM_SIZE = 16 * 1024;

/** Binds both families to `port` (0: a free port both get). Throws EADDRINUSE errors as is. */
export function bindUdp(port: number, handler: NativeUdpHandler): UdpTransport {
  switch (process.platform) {
    case 'linux':
      return bindNativeUdp(port, handler, { maxDatagramSize: MAX_DATAGRAM_SIZE });
    default:
      throw new Error(`UDP transport is not supported on ${process.platform} yet`);
  }
}
