// Linux TUN devices on top of the native addon (helper/native): the addon reads
// every packet of a wake-up into buffers this side owns and reports how many;
// this side turns that into one PacketBatch per wake-up.
import { loadNativeAddon, type NativeHandle } from '../native-addon.js';
import type { PacketBatch, TunDevice } from '../tun.js';

/** Most packets handed over per wake-up, so that one busy device cannot starve the loop. */
export const MAX_BATCH_PACKETS = 64;
/**
 * The addon leaves room for a 65535-byte packet before each read; 256 KiB holds
 * a full batch of packets up to about 3 KB, well above the usual 1420 MTU.
 */
const READ_BUFFER_BYTES = 256 * 1024;

/** The addon's TUN functions. */
export interface NativeTun {
  open(
    name: string,
    slab: Uint8Array,
    lengths: Uint32Array,
    onBatch: (count: number) => void,
    onError: (error: Error) => void,
  ): NativeHandle;
  name(handle: NativeHandle): string;
  write(handle: NativeHandle, packets: readonly Uint8Array[]): number;
  pause(handle: NativeHandle): void;
  resume(handle: NativeHandle): void;
  close(handle: NativeHandle): void;
  mtu(handle: NativeHandle): number;
  setMtu(handle: NativeHandle, mtu: number): void;
  index(handle: NativeHandle): number;
}

class ReusedBatch implements PacketBatch {
  count = 0;
  readonly offsets = new Uint32Array(MAX_BATCH_PACKETS);

  constructor(
    readonly data: Uint8Array,
    readonly lengths: Uint32Array,
  ) {}

  /** The addon packs packets back to back, so offsets are running sums of lengths. */
  fill(count: number): void {
    this.count = count;
    let offset = 0;
    for (let i = 0; i < count; i++) {
      this.offsets[i] = offset;
      offset += this.lengths[i]!;
    }
  }

  packet(index: number): Uint8Array {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(`packet index ${index} outside batch of ${this.count}`);
    }
    const offset = this.offsets[index]!;
    return this.data.subarray(offset, offset + this.lengths[index]!);
  }
}

export class LinuxTun implements TunDevice {
  readonly name: string;
  private readonly native: NativeTun;
  private readonly handle: NativeHandle;
  private readonly batch: ReusedBatch;
  private packetHandler: ((batch: PacketBatch) => void) | undefined;
  private closeHandler: ((error?: Error) => void) | undefined;
  private closed = false;
  private closeError: Error | undefined;

  constructor(name: string) {
    this.native = loadNativeAddon().tun;
    this.batch = new ReusedBatch(new Uint8Array(READ_BUFFER_BYTES), new Uint32Array(MAX_BATCH_PACKETS));
    this.handle = this.native.open(
      name,
      this.batch.data,
      this.batch.lengths,
      (count) => this.deliver(count),
      (error) => this.end(error),
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

export function openLinuxTun(name: string): LinuxTun {
  return new LinuxTun(name);
}
