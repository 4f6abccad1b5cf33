// Linux TUN devices on top of the native addon (helper/native): the addon reads
// every packet of a wake-up into buffers this side owns and reports how many;
// this side turns that into one PacketBatch per wake-up.
//
// Offloads are on by default: the kernel hands over TCP super-packets of up to
// 64 KB, which the addon splits into MTU-sized packets before this side sees
// them, and writePackets() merges consecutive segments of a TCP flow into one
// super-packet. The engine sees (and writes) plain IP packets either way.
import { loadNativeAddon, type NativeHandle } from '../native-addon.js';
import { PackedPacketBatch } from '../packed-packet-batch.js';
import type { PacketBatch, TunDevice } from '../tun.js';

/**
 * Most packets handed over per wake-up, so that one busy device cannot starve
 * the loop: one seal batch of the engine's (DEFAULT_BATCH_JOBS), which is
 * about two 64 KB super-packets split at MTU 1420.
 */
export const MAX_BATCH_PACKETS = 128;
/**
 * The addon leaves room for a 65535-byte packet (or super-packet) before each
 * read; 256 KiB holds a full batch of packets up to 1500 bytes and that room.
 */
const READ_BUFFER_BYTES = 256 * 1024;

/** TUN_F_* offload flags, as the kernel's if_tun.h numbers them. */
export const TUN_F_CSUM = 0x01;
export const TUN_F_TSO4 = 0x02;
export const TUN_F_TSO6 = 0x04;
export const TUN_F_TSO_ECN = 0x08;

/** What the offload paths did since the device was opened. */
export interface TunOffloadStats {
  /** The TUN_F_* flags the kernel granted; -1 when the device was opened without offloads. */
  readonly offloads: number;
  /** Super-packets read and split, and the packets they were split into. */
  readonly gsoPacketsRead: number;
  readonly segmentsRead: number;
  /** Super-packets whose segments did not all fit into one batch; the rest led the next one. */
  readonly splitsCarriedOver: number;
  /** Packets read with a checksum the kernel left for the addon to finish. */
  readonly checksumsCompleted: number;
  /** Reads dropped because their vnet header or packet did not make sense. */
  readonly malformedDropped: number;
  /** Super-packets written, the packets merged into them, and the ones the kernel refused. */
  readonly gsoPacketsWritten: number;
  readonly segmentsCoalesced: number;
  readonly gsoWriteFailures: number;
}

export interface LinuxTunOptions {
  /** Open with IFF_VNET_HDR and ask for checksum and TCP segmentation offloads (default true). */
  readonly offloads?: boolean;
  /** Most packets per batch, 1 to MAX_BATCH_PACKETS (default MAX_BATCH_PACKETS). */
  readonly batchPackets?: number;
}

/** The addon's TUN functions. */
export interface NativeTun {
  open(
    name: string,
    slab: Uint8Array,
    lengths: Uint32Array,
    onBatch: (count: number) => void,
    onError: (error: Error) => void,
    offloads: boolean,
  ): NativeHandle;
  name(handle: NativeHandle): string;
  write(handle: NativeHandle, packets: readonly Uint8Array[]): number;
  pause(handle: NativeHandle): void;
  resume(handle: NativeHandle): void;
  close(handle: NativeHandle): void;
  mtu(handle: NativeHandle): number;
  setMtu(handle: NativeHandle, mtu: number): void;
  index(handle: NativeHandle): number;
  stats(handle: NativeHandle): TunOffloadStats;
  /**
   * What the read path makes of one packet read with offloads, without a
   * device: `input` is a 10-byte virtio_net_hdr and the packet. Returns how
   * many packets it placed in `slab` (0: dropped as malformed).
   */
  splitPacket(input: Uint8Array, slab: Uint8Array, lengths: Uint32Array): number;
}

export class LinuxTun implements TunDevice {
  readonly name: string;
  private readonly native: NativeTun;
  private readonly handle: NativeHandle;
  private readonly batch: PackedPacketBatch;
  private packetHandler: ((batch: PacketBatch) => void) | undefined;
  private closeHandler: ((error?: Error) => void) | undefined;
  private closed = false;
  private closeError: Error | undefined;

  constructor(name: string, options: LinuxTunOptions = {}) {
    const batchPackets = options.batchPackets ?? MAX_BATCH_PACKETS;
    if (!Number.isInteger(batchPackets) || batchPackets < 1 || batchPackets > MAX_BATCH_PACKETS) {
      throw new RangeError(`batchPackets must be an integer from 1 to ${MAX_BATCH_PACKETS}, not ${batchPackets}`);
    }
    this.native = loadNativeAddon().tun;
    this.batch = new PackedPacketBatch(new Uint8Array(READ_BUFFER_BYTES), new Uint32Array(batchPackets));
    this.handle = this.native.open(
      name,
      this.batch.data,
      this.batch.lengths,
      (count) => this.deliver(count),
      (error) => this.end(error),
      options.offloads ?? true,
    );
    this.name = this.native.name(this.handle);
  }

  onPackets(handler: (batch: PacketBatch) => void): void {
    this.packetHandler = handler;
  }

  onClose(handler: (error?: Error) => void): void {
    this.closeHandler = handler;
    if (this.closed) handler(this.closeError);
  }

  writePackets(packets: readonly Uint8Array[]): number {
    if (this.closed) return 0;
    return this.native.write(this.handle, packets);
  }

  pause(): void {
    this.native.pause(this.handle);
  }

  resume(): void {
    this.native.resume(this.handle);
  }

  close(): void {
    this.end(undefined);
  }

  /** Reads the MTU; works only while the interface is in this process's network namespace. */
  mtu(): number {
    return this.native.mtu(this.handle);
  }

  /** Sets the MTU; works only while the interface is in this process's network namespace. */
  setMtu(mtu: number): void {
    this.native.setMtu(this.handle, mtu);
  }

  /** The interface index; valid only while the interface is in this process's network namespace. */
  index(): number {
    return this.native.index(this.handle);
  }

  offloadStats(): TunOffloadStats {
    return this.native.stats(this.handle);
  }

  private deliver(count: number): void {
    this.batch.fill(count);
    this.packetHandler?.(this.batch);
  }

  private end(error: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = error;
    this.native.close(this.handle);
    if (this.closeHandler) this.closeHandler(error);
    // Like an 'error' event nobody listens to: a device that died unnoticed must not go quiet.
    else if (error) throw error;
  }
}

export function openLinuxTun(name: string, options: LinuxTunOptions = {}): LinuxTun {
  return new LinuxTun(name, options);
}
