// A TUN device in memory for the Windows suite (Wintun needs its driver, which
// Wine has not): packets the test injects are read by the engine as from the
// OS, and packets the engine writes are handed to a listener.
import type { PacketBatch, TunDevice } from '../../../helper/src/os/tun.js';

class OneBatch implements PacketBatch {
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
  readonly data: Uint8Array;

  constructor(private readonly packets: readonly Uint8Array[]) {
    this.offsets = new Uint32Array(packets.length);
    this.lengths = new Uint32Array(packets.length);
    this.data = new Uint8Array(packets.reduce((sum, packet) => sum + packet.length, 0));
    let offset = 0;
    packets.forEach((packet, i) => {
      this.offsets[i] = offset;
      this.lengths[i] = packet.length;
      this.data.set(packet, offset);
      offset += packet.length;
    });
  }

  get count(): number {
    return this.packets.length;
  }

  packet(index: number): Uint8Array {
    return this.data.subarray(this.offsets[index]!, this.offsets[index]! + this.lengths[index]!);
  }
}

export class MemoryTun implements TunDevice {
  private handler: ((batch: PacketBatch) => void) | undefined;
  private closeHandler: ((error?: Error) => void) | undefined;
  private closed = false;
  private currentMtu = 1420;

  constructor(
    readonly name: string,
    private readonly written: (packets: readonly Uint8Array[]) => void,
  ) {}

  /** Packets from "the OS" to the engine, in one batch. */
  inject(packets: readonly Uint8Array[]): void {
    if (!this.closed) this.handler?.(new OneBatch(packets));
  }

  onPackets(handler: (batch: PacketBatch) => void): void {
    this.handler = handler;
  }

  onClose(handler: (error?: Error) => void): void {
    this.closeHandler = handler;
  }

  writePackets(packets: readonly Uint8Array[]): number {
    if (this.closed) return 0;
    this.written(packets.map((packet) => packet.slice()));
    return packets.length;
  }

  mtu(): number {
    return this.currentMtu;
  }

  setMtu(mtu: number): void {
    this.currentMtu = mtu;
  }

  pause(): void {}

  resume(): void {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeHandler?.();
  }
}
