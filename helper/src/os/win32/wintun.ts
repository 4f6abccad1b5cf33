// Windows TUN devices: one Wintun adapter per tunnel, named after it, with a
// GUID derived from the name so that Windows sees the same network (its
// profile, firewall category, metric) each time the tunnel comes up, as
// WireGuard for Windows does. wintun.dll is loaded at run time from the app's
// resources; the session's rings are drained and filled in batches by the
// addon (tun_wintun.c), one JS call per batch either way.
import { dirname, join } from 'node:path';
import { hash } from '../../crypto/blake2s.js';
import { loadNativeAddon, type NativeHandle } from '../native-addon.js';
import { PackedPacketBatch } from '../packed-packet-batch.js';
import type { PacketBatch, TunDevice } from '../tun.js';

/** The ring size wireguard-go gives Wintun: 8 MiB. */
export const RING_CAPACITY = 0x800000;
/** Most packets handed over per wake-up, as on Linux. */
export const MAX_BATCH_PACKETS = 128;
/** Room for a batch of full-size packets and the largest one Wintun can hold. */
const READ_BUFFER_BYTES = 256 * 1024;
const TUNNEL_TYPE = 'Wirefly';
const GUID_DOMAIN = 'Wirefly Wintun adapter GUID v1';

/** The addon's Wintun functions (Windows build only). */
export interface NativeWintun {
  open(
    dllPath: string,
    name: string,
    tunnelType: string,
    guid: Uint8Array,
    ringCapacity: number,
    slab: Uint8Array,
    lengths: Uint32Array,
    onBatch: (count: number) => void,
    onError: (error: Error) => void,
  ): NativeHandle;
  write(handle: NativeHandle, packets: readonly Uint8Array[]): number;
  pause(handle: NativeHandle): void;
  resume(handle: NativeHandle): void;
  luid(handle: NativeHandle): bigint;
  close(handle: NativeHandle): void;
}

/** How the interface's MTU is read and set (IP Helper's interface entries), by LUID. */
export interface InterfaceMtu {
  mtu(luid: bigint): number;
  setMtu(luid: bigint, mtu: number): void;
}

/**
 * The adapter's GUID for a tunnel name, in Windows' in-memory layout: the
 * first 16 bytes of BLAKE2s(domain, name), marked as an RFC 4122 name-based
 * GUID (version 5 bits, variant 10).
 */
export function adapterGuid(name: string): Uint8Array {
  const bytes = new Uint8Array(hash(Buffer.from(GUID_DOMAIN), Buffer.from(name, 'utf16le')).subarray(0, 16));
  // Data3 is little-endian in memory: its high nibble is in byte 7.
  bytes[7] = (bytes[7]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return bytes;
}

/** A GUID's text form, {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}, from its in-memory bytes. */
export function formatGuid(bytes: Uint8Array): string {
  const hex = (from: number, to: number, reverse: boolean) => {
    const part = [...bytes.subarray(from, to)];
    return (reverse ? part.reverse() : part).map((byte) => byte.toString(16).padStart(2, '0')).join('');
  };
  return `{${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}}`.toUpperCase();
}

/** WIREFLY_WINTUN_DLL, else wintun.dll in the app's resources (or beside the executable). */
export function wintunDllPath(env: NodeJS.ProcessEnv = process.env): string {
  const resources = (process as { resourcesPath?: string }).resourcesPath ?? dirname(process.execPath);
  return env['WIREFLY_WINTUN_DLL'] ?? join(resources, 'wintun.dll');
}

export interface WintunOptions {
  readonly dllPath?: string;
  readonly native?: NativeWintun;
}

export class WintunTun implements TunDevice {
  private readonly native: NativeWintun;
  private readonly handle: NativeHandle;
  private readonly batch = new PackedPacketBatch(new Uint8Array(READ_BUFFER_BYTES), new Uint32Array(MAX_BATCH_PACKETS));
  private packetHandler: ((batch: PacketBatch) => void) | undefined;
  private closeHandler: ((error?: Error) => void) | undefined;
  private closed = false;
  private closeError: Error | undefined;
  readonly luid: bigint;

  constructor(
    readonly name: string,
    private readonly interfaceMtu: InterfaceMtu,
    options: WintunOptions = {},
  ) {
    if (!/^[^\\/:*?"<>|\0]{1,31}$/.test(name)) throw new RangeError(`"${name}" cannot name a Wintun adapter`);
    this.native = options.native ?? (loadNativeAddon() as unknown as { wintun: NativeWintun }).wintun;
    this.handle = this.native.open(
      options.dllPath ?? wintunDllPath(),
      name,
      TUNNEL_TYPE,
      adapterGuid(name),
      RING_CAPACITY,
      this.batch.data,
      this.batch.lengths,
      (count) => this.deliver(count),
      (error) => this.end(error),
    );
    this.luid = this.native.luid(this.handle);
  }

  onPackets(handler: (batch: PacketBatch) => void): void {
    this.packetHandler = handler;
  }

  onClose(handler: (error?: Error) => void): void {
    this.closeHandler = handler;
    if (this.closed) handler(this.closeError);
  }

  writePackets(packets: readonly Uint8Array[]): number {
    return this.closed ? 0 : this.native.write(this.handle, packets);
  }

  mtu(): number {
    return this.interfaceMtu.mtu(this.luid);
  }

  setMtu(mtu: number): void {
    this.interfaceMtu.setMtu(this.luid, mtu);
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
    else if (error) throw error;
  }
}
