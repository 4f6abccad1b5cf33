// The utun device: a kernel-control socket connected to com.apple.net.utun_control
// (kern-control.ts), whose datagrams are the interface's packets behind a
// 4-byte address-family header (af-header.ts). Reads are non-blocking and
// drained in batches: each wake-up of the event loop reads until the socket is
// empty or the batch is full, and hands the whole batch over at once.
import type { PacketBatch, TunDevice } from '../tun.js';
import { AF_HEADER_SIZE, afHeaderFor, familyOfAfHeader } from './af-header.js';
import type { DarwinSyscalls, NativeMemory } from './binding.js';
import { check, ERRNO, SyscallError } from './errno.js';
import { decodeIfreqMtu, encodeIfreq, IFREQ_SIZE, SIOCGIFMTU, SIOCSIFMTU } from './ifreq.js';
import {
  CTL_INFO_SIZE,
  CTLIOCGINFO,
  decodeCtlId,
  encodeCtlInfo,
  encodeSockaddrCtl,
  IFNAMSIZ,
  PF_SYSTEM,
  SOCK_DGRAM,
  SOCKADDR_CTL_SIZE,
  SYSPROTO_CONTROL,
  UTUN_CONTROL_NAME,
  UTUN_OPT_IFNAME,
  utunUnitFor,
} from './kern-control.js';

/** Most packets per wake-up. */
export const READ_BATCH = 128;
/** The largest IP packet and its header. */
const MAX_READ = 65535 + AF_HEADER_SIZE;
const READ_SLAB = 1 << 20;
const WRITE_BUFFER = MAX_READ;
const AF_INET = 2;

// sys/fcntl.h
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const FD_CLOEXEC = 1;
export const O_NONBLOCK = 4;

/** Non-blocking, and closed in the tools the helper starts (a utun lives as long as any process holds it). */
export function makeNonBlockingPrivate(sys: DarwinSyscalls, fd: number): void {
  check('fcntl', sys.fcntl(fd, F_SETFD, FD_CLOEXEC));
  const flags = check('fcntl', sys.fcntl(fd, F_GETFL, 0));
  check('fcntl', sys.fcntl(fd, F_SETFL, flags | O_NONBLOCK));
}

/** Opens utun `name` ("utun" or "" for the first free unit, or "utunN"). */
export function openUtun(sys: DarwinSyscalls, name: string): DarwinUtun {
  const unit = utunUnitFor(name);
  const fd = check('socket', sys.socket(PF_SYSTEM, SOCK_DGRAM, SYSPROTO_CONTROL));
  const scratch = sys.alloc(CTL_INFO_SIZE + SOCKADDR_CTL_SIZE);
  let control = -1;
  try {
    encodeCtlInfo(scratch.bytes, UTUN_CONTROL_NAME);
    check('ioctl', sys.ioctl(fd, CTLIOCGINFO, scratch.address));
    encodeSockaddrCtl(scratch.bytes, decodeCtlId(scratch.bytes), unit);
    check('connect', sys.connect(fd, scratch.address, SOCKADDR_CTL_SIZE));
    const ifname = readUtunName(sys, fd, scratch);
    makeNonBlockingPrivate(sys, fd);
    control = check('socket', sys.socket(AF_INET, SOCK_DGRAM, 0));
    makeNonBlockingPrivate(sys, control);
    return new DarwinUtun(sys, fd, control, ifname);
  } catch (error) {
    sys.close(fd);
    if (control >= 0) sys.close(control);
    throw error;
  } finally {
    sys.free(scratch);
  }
}

function readUtunName(sys: DarwinSyscalls, fd: number, scratch: NativeMemory): string {
  const view = new DataView(scratch.bytes.buffer, scratch.bytes.byteOffset, scratch.bytes.byteLength);
  scratch.bytes.fill(0, 0, IFNAMSIZ + 4);
  view.setUint32(IFNAMSIZ, IFNAMSIZ, true);
  check(
    'getsockopt',
    sys.getsockopt(fd, SYSPROTO_CONTROL, UTUN_OPT_IFNAME, scratch.address, scratch.address + BigInt(IFNAMSIZ)),
  );
  const length = view.getUint32(IFNAMSIZ, true);
  const name = scratch.bytes.subarray(0, Math.min(length, IFNAMSIZ));
  const end = name.indexOf(0);
  return new TextDecoder().decode(end === -1 ? name : name.subarray(0, end));
}

class UtunBatch implements PacketBatch {
  count = 0;
  readonly offsets = new Uint32Array(READ_BATCH);
  readonly lengths = new Uint32Array(READ_BATCH);
  constructor(readonly data: Uint8Array) {}
  packet(index: number): Uint8Array {
    const offset = this.offsets[index] ?? 0;
    return this.data.subarray(offset, offset + (this.lengths[index] ?? 0));
  }
}

export class DarwinUtun implements TunDevice {
  private readonly slab: NativeMemory;
  private readonly out: NativeMemory;
  private readonly ifreq: NativeMemory;
  private readonly batch: UtunBatch;
  private packetHandler: ((batch: PacketBatch) => void) | undefined;
  private closeHandler: ((error?: Error) => void) | undefined;
  private unwatch: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly sys: DarwinSyscalls,
    private readonly fd: number,
    /** An ordinary socket for the interface's ioctls (its MTU). */
    private readonly control: number,
    readonly name: string,
  ) {
    this.slab = sys.alloc(READ_SLAB);
    this.out = sys.alloc(WRITE_BUFFER);
    this.ifreq = sys.alloc(IFREQ_SIZE);
    this.batch = new UtunBatch(this.slab.bytes);
    this.resume();
  }

  onPackets(handler: (batch: PacketBatch) => void): void {
    this.packetHandler = handler;
  }

  onClose(handler: (error?: Error) => void): void {
    this.closeHandler = handler;
  }

  writePackets(packets: readonly Uint8Array[]): number {
    let written = 0;
    for (const packet of packets) {
      if (this.closed) break;
      const header = afHeaderFor(packet);
      if (!header || packet.length + AF_HEADER_SIZE > WRITE_BUFFER) continue;
      this.out.bytes.set(header, 0);
      this.out.bytes.set(packet, AF_HEADER_SIZE);
      if (this.sys.write(this.fd, this.out.address, packet.length + AF_HEADER_SIZE) > 0) written++;
    }
    return written;
  }

  mtu(): number {
    encodeIfreq(this.ifreq.bytes, this.name);
    check('ioctl', this.sys.ioctl(this.control, SIOCGIFMTU, this.ifreq.address));
    return decodeIfreqMtu(this.ifreq.bytes);
  }

  setMtu(mtu: number): void {
    encodeIfreq(this.ifreq.bytes, this.name, mtu);
    check('ioctl', this.sys.ioctl(this.control, SIOCSIFMTU, this.ifreq.address));
  }

  pause(): void {
    this.unwatch?.();
    this.unwatch = undefined;
  }

  resume(): void {
    if (this.closed || this.unwatch) return;
    this.unwatch = this.sys.watchReadable(this.fd, () => this.drain());
  }

  close(): void {
    this.shut(undefined);
  }

  /** Reads until the socket is empty or the batch is full, then delivers the batch. */
  private drain(): void {
    const batch = this.batch;
    batch.count = 0;
    let offset = 0;
    while (batch.count < READ_BATCH && READ_SLAB - offset >= MAX_READ && !this.closed) {
      const n = this.sys.read(this.fd, this.slab.address + BigInt(offset), MAX_READ);
      if (n === -ERRNO.EAGAIN || n === -ERRNO.EINTR) break;
      if (n < 0) return this.shut(new SyscallError('read', -n));
      if (n === 0) return this.shut(new Error(`${this.name} was closed by the system`));
      if (n <= AF_HEADER_SIZE || !familyOfAfHeader(this.slab.bytes.subarray(offset, offset + AF_HEADER_SIZE))) continue;
      batch.offsets[batch.count] = offset + AF_HEADER_SIZE;
      batch.lengths[batch.count] = n - AF_HEADER_SIZE;
      batch.count++;
      offset += n;
    }
    if (batch.count > 0) this.packetHandler?.(batch);
  }

  private shut(error: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.pause();
    this.sys.close(this.fd);
    this.sys.close(this.control);
    this.sys.free(this.slab);
    this.sys.free(this.out);
    this.sys.free(this.ifreq);
    this.closeHandler?.(error);
  }
}
