// The platform-neutral TUN device: what the engine's driver reads IP packets
// from and writes them to. Each platform supplies its own implementation
// (platform.ts picks it): Linux tun, Windows Wintun, macOS utun.

/**
 * The packets of one wake-up, packed back to back in `data`. Packet `i` is
 * `data.subarray(offsets[i], offsets[i] + lengths[i])`; only the first `count`
 * entries of `offsets` and `lengths` are meaningful.
 *
 * The batch lends the device's read buffers: it is valid only until the
 * handler returns, so copy whatever must outlive the call.
 */
export interface PacketBatch {
  readonly count: number;
  readonly data: Uint8Array;
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
  /** A view of packet `index` (no copy; same lifetime as the batch). */
  packet(index: number): Uint8Array;
}

export interface TunDevice {
  /** The interface name the OS gave the device (a pattern such as "wf%d" is expanded). */
  readonly name: string;
  /** Called once per wake-up with every packet read: bare IP packets, no headers. */
  onPackets(handler: (batch: PacketBatch) => void): void;
  /**
   * Called once when the device closes: with the error when the OS ended it
   * (for example the interface was deleted), without one after close().
   */
  onClose(handler: (error?: Error) => void): void;
  /**
   * Writes IP packets to the OS. Returns how many were written; the rest were
   * dropped (full queue, malformed packet, or a closed device).
   */
  writePackets(packets: readonly Uint8Array[]): number;
  /** The interface MTU, as the OS reports it now. */
  mtu(): number;
  setMtu(mtu: number): void;
  /** Stops reading; the OS queues packets meanwhile and drops them once its queue is full. */
  pause(): void;
  resume(): void;
  /** Stops reading and releases the device; calling it again does nothing. */
  close(): void;
}
