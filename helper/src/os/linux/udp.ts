// The engine's UDP on Linux, over the native addon (native-udp.ts): sends go
// out in batches with sendmmsg, under a firewall mark when one is set. Where
// the kernel has them, runs of equal-size datagrams to one endpoint leave as
// one UDP_SEGMENT message, and trains the kernel coalesced on receive
// (UDP_GRO) are split back into datagrams before JS sees them.
import { DEFAULT_MAX_DATAGRAM_SIZE, NativeUdp } from '../native-udp.js';
import type { UdpHandler, UdpTransport } from '../udp.js';

export interface NativeUdpOptions {
  /** Larger datagrams are dropped and counted (stats().receiveTruncated). */
  readonly maxDatagramSize?: number;
  /** UDP_SEGMENT on send and UDP_GRO on receive, where the kernel has them (the default); false sends and receives plain datagrams. */
  readonly offload?: boolean;
}

/**
 * Binds both families to `port` (0: a free port both share). Throws the bind
 * error (code EADDRINUSE, errno, syscall) when the port is taken.
 */
export function bindNativeUdp(port: number, handler: UdpHandler, options: NativeUdpOptions = {}): UdpTransport {
  return new NativeUdp(port, handler, options.maxDatagramSize ?? DEFAULT_MAX_DATAGRAM_SIZE, options.offload ?? true);
}
