// The engine's UDP on Windows, over Winsock in the addon (udp_win32.c, through
// native-udp.ts): each datagram comes with the local address it was sent to
// and its interface (IP_PKTINFO / IPV6_PKTINFO), replies leave from that
// address, receives are drained a batch per wake-up and sends go a batch per
// call. Windows has no socket mark, and no offloads are used.
import { MAX_DATAGRAM_SIZE, type UdpHandler, type UdpTransport } from '../udp.js';
import { NativeUdp } from '../native-udp.js';

/**
 * Binds IPv6 (v6-only) and then IPv4 to `port` (0: the port the system gives
 * IPv6, tried again should IPv4 find it taken). Throws the bind error (code
 * EADDRINUSE, errno, syscall) when the port is taken.
 */
export function bindWinsockUdp(port: number, handler: UdpHandler, maxDatagramSize = MAX_DATAGRAM_SIZE): UdpTransport {
  return new NativeUdp(port, handler, maxDatagramSize, false);
}
