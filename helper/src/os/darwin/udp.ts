// The engine's UDP on macOS: an IPv6 (v6-only) and an IPv4 socket on one port,
// through libSystem. macOS has no recvmmsg or sendmmsg (its recvmsg_x and
// sendmsg_x are private, unversioned calls that Apple may change), so the
// batch is made by the wake-up: when a socket turns readable, recvmsg runs
// non-blocking until the socket is empty or the batch is full, and the engine
// gets all of it in one call, as on Linux. Sends are one sendmsg each. The
// sticky source comes from IP_PKTINFO / IPV6_PKTINFO: received with each
// datagram (the address the peer wrote to), and given back when replying.
// IP_RECVDSTADDR would tell the address alone, and macOS cannot send from an
// address with it, so IP_PKTINFO serves both ways.
import type { Endpoint, IpFamily } from '../../net/ip.js';
import type { DatagramBatch, UdpHandler, UdpStats, UdpTransport } from '../udp.js';
import { AF_INET, AF_INET6 } from './af-header.js';
import type { DarwinSyscalls, NativeMemory } from './binding.js';
import { check, ERRNO, SyscallError } from './errno.js';
import {
  decodeMsghdr,
  decodeSockaddr,
  encodeIovec,
  encodeMsghdr,
  encodeSockaddr,
  encodeSourceInfo,
  findPacketInfo,
  IP_PKTINFO,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_RECVPKTINFO,
  IPV6_V6ONLY,
  MSG_TRUNC,
  MSGHDR_SIZE,
  SO_RCVBUF,
  SO_SNDBUF,
  SOL_SOCKET,
  sockaddrSize,
} from './socket-layout.js';
import { makeNonBlockingPrivate } from './utun.js';

/** Tries at a port both families have free, when any port will do. */
const BIND_ATTEMPTS = 16;
/** Most datagrams per wake-up of one socket. */
export const RECEIVE_BATCH = 128;
const SOCK_DGRAM = 2;
const SOCKET_BUFFER = 4 << 20;
const RECEIVE_SLAB = 1 << 20;
// One native region per socket: msghdr, iovec, name, control, two int cells, then the data.
const IOV = MSGHDR_SIZE;
const NAME = IOV + 16;
const CONTROL = NAME + 32;
const CONTROL_SPACE = 64;
const CELL = CONTROL + CONTROL_SPACE;
const DATA = CELL + 16;

/** A socket and its two native regions, each laid out as above: one for receiving, one for sending from inside a receive handler. */
class Socket {
  readonly memory: NativeMemory;
  readonly sending: NativeMemory;
  constructor(
    readonly sys: DarwinSyscalls,
    readonly fd: number,
    readonly family: IpFamily,
    dataSize: number,
    sendSize: number,
  ) {
    this.memory = sys.alloc(DATA + dataSize);
    this.sending = sys.alloc(DATA + sendSize);
  }
  at(offset: number): bigint {
    return this.memory.address + BigInt(offset);
  }
  sendAt(offset: number): bigint {
    return this.sending.address + BigInt(offset);
  }
  setInt(level: number, name: number, value: number): number {
    new DataView(this.memory.bytes.buffer, this.memory.bytes.byteOffset).setInt32(CELL, value, true);
    return this.sys.setsockopt(this.fd, level, name, this.at(CELL), 4);
  }
  close(): void {
    this.sys.close(this.fd);
    this.sys.free(this.memory);
    this.sys.free(this.sending);
  }
}

class ReceivedBatch implements DatagramBatch {
  count = 0;
  data: Uint8Array = new Uint8Array(0);
  readonly offsets = new Uint32Array(RECEIVE_BATCH);
  readonly lengths = new Uint32Array(RECEIVE_BATCH);
  readonly ports = new Uint16Array(RECEIVE_BATCH);
  readonly interfaces = new Uint32Array(RECEIVE_BATCH);
  readonly hasLocal = new Uint8Array(RECEIVE_BATCH);
  readonly sources = new Uint8Array(RECEIVE_BATCH * 16);
  readonly locals = new Uint8Array(RECEIVE_BATCH * 16);
  family: IpFamily = 4;

  datagram(index: number): Uint8Array {
    const offset = this.offsets[index] ?? 0;
    return this.data.subarray(offset, offset + (this.lengths[index] ?? 0));
  }
  sourceFamily(): IpFamily {
    return this.family;
  }
  sourceAddress(index: number): Uint8Array {
    return this.sources.subarray(index * 16, index * 16 + (this.family === 4 ? 4 : 16));
  }
  sourcePort(index: number): number {
    return this.ports[index] ?? 0;
  }
  localAddress(index: number): Uint8Array | undefined {
    if (!this.hasLocal[index]) return undefined;
    return this.locals.subarray(index * 16, index * 16 + (this.family === 4 ? 4 : 16));
  }
  localInterface(index: number): number {
    return this.interfaces[index] ?? 0;
  }
  endpoint(index: number): Endpoint {
    const local = this.localAddress(index);
    return {
      family: this.family,
      bytes: this.sourceAddress(index).slice(),
      port: this.sourcePort(index),
      ...(local ? { localAddress: local.slice(), localInterface: this.localInterface(index) } : {}),
    };
  }
}

export function bindDarwinUdp(
  sys: DarwinSyscalls,
  port: number,
  handler: UdpHandler,
  maxDatagramSize: number,
): UdpTransport {
  return DarwinUdp.bind(sys, port, handler, maxDatagramSize);
}

class DarwinUdp implements UdpTransport {
  private readonly batch = new ReceivedBatch();
  private readonly unwatch: (() => void)[] = [];
  private closed = false;
  private counters = { sendDropped: 0, receiveTruncated: 0 };

  private constructor(
    private readonly sys: DarwinSyscalls,
    private readonly v6: Socket,
    private readonly v4: Socket,
    readonly port: number,
    private readonly handler: UdpHandler,
    private readonly maxDatagramSize: number,
  ) {
    for (const socket of [v6, v4]) this.unwatch.push(sys.watchReadable(socket.fd, () => this.drain(socket)));
  }

  /** IPv6 first, IPv4 on the port it got; asked for any port, another one when IPv4 has that one taken. */
  static bind(sys: DarwinSyscalls, port: number, handler: UdpHandler, maxDatagramSize: number): DarwinUdp {
    const dataSize = Math.max(RECEIVE_SLAB, maxDatagramSize * 2);
    for (let attempt = 1; ; attempt++) {
      const v6 = openSocket(sys, 6, port, dataSize, maxDatagramSize);
      try {
        const bound = localPort(v6);
        const v4 = openSocket(sys, 4, bound, dataSize, maxDatagramSize);
        return new DarwinUdp(sys, v6, v4, bound, handler, maxDatagramSize);
      } catch (error) {
        v6.close();
        const taken = error instanceof SyscallError && error.errno === ERRNO.EADDRINUSE;
        if (!(port === 0 && taken && attempt < BIND_ATTEMPTS)) throw error;
      }
    }
  }

  sendBatch(datagrams: readonly Uint8Array[], endpoints: readonly Endpoint[]): number {
    const stale: Endpoint[] = [];
    let sent = 0;
    for (let i = 0; i < datagrams.length; i++) {
      const datagram = datagrams[i];
      const endpoint = endpoints[i];
      if (!datagram || !endpoint) continue;
      if (this.sendOne(datagram, endpoint, stale)) sent++;
      else this.counters.sendDropped++;
    }
    for (const endpoint of stale) this.handler.staleSource?.(endpoint);
    return sent;
  }

  send(datagram: Uint8Array, endpoint: Endpoint): boolean {
    return this.sendBatch([datagram], [endpoint]) === 1;
  }

  setMark(): void {
    throw new Error(
      'macOS has no socket marks (fwmark); its full tunnels route the endpoints around the tunnel instead',
    );
  }

  stats(): UdpStats {
    return {
      ...this.counters,
      sendSegmented: 0,
      sendSegmentedDatagrams: 0,
      sendSegmentationRefused: 0,
      receiveCoalesced: 0,
      receiveCoalescedDatagrams: 0,
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const stop of this.unwatch) stop();
    this.v6.close();
    this.v4.close();
  }

  private sendOne(datagram: Uint8Array, endpoint: Endpoint, stale: Endpoint[]): boolean {
    if (this.closed || datagram.length > this.maxDatagramSize) return false;
    const socket = endpoint.family === 4 ? this.v4 : this.v6;
    const bytes = socket.sending.bytes;
    const nameLength = encodeSockaddr(bytes.subarray(NAME), endpoint.family, endpoint.bytes, endpoint.port);
    bytes.set(datagram, DATA);
    encodeIovec(bytes.subarray(IOV), socket.sendAt(DATA), datagram.length);
    const sticky = endpoint.localAddress !== undefined;
    const result = this.sendmsg(socket, nameLength, sticky ? endpoint : undefined);
    if (result >= 0) return true;
    if (!(sticky && result === -ERRNO.EADDRNOTAVAIL)) return false;
    // The address the peer wrote to is gone: reply from whatever routing picks, and say so.
    stale.push(endpoint);
    return this.sendmsg(socket, nameLength, undefined) >= 0;
  }

  private sendmsg(socket: Socket, nameLength: number, source: Endpoint | undefined): number {
    const bytes = socket.sending.bytes;
    const controlLength =
      source?.localAddress === undefined
        ? 0
        : encodeSourceInfo(
            bytes.subarray(CONTROL),
            source.family,
            source.localAddress,
            isLinkLocal(source.family, source.localAddress) ? (source.localInterface ?? 0) : 0,
          );
    encodeMsghdr(bytes, {
      name: socket.sendAt(NAME),
      nameLength,
      iov: socket.sendAt(IOV),
      control: controlLength === 0 ? 0n : socket.sendAt(CONTROL),
      controlLength,
    });
    return this.sys.sendmsg(socket.fd, socket.sendAt(0), 0);
  }

  private drain(socket: Socket): void {
    const batch = this.batch;
    const bytes = socket.memory.bytes;
    batch.count = 0;
    batch.family = socket.family;
    batch.data = bytes;
    let offset = DATA;
    const room = this.maxDatagramSize + 1;
    while (!this.closed && batch.count < RECEIVE_BATCH && bytes.length - offset >= room) {
      encodeIovec(bytes.subarray(IOV), socket.at(offset), room);
      encodeMsghdr(bytes, {
        name: socket.at(NAME),
        nameLength: sockaddrSize(socket.family),
        iov: socket.at(IOV),
        control: socket.at(CONTROL),
        controlLength: CONTROL_SPACE,
      });
      const n = this.sys.recvmsg(socket.fd, socket.at(0), 0);
      if (n === -ERRNO.EAGAIN || n === -ERRNO.EINTR) break;
      if (n < 0) return this.fail(new SyscallError('recvmsg', -n));
      const header = decodeMsghdr(bytes);
      if (n > this.maxDatagramSize || (header.flags & MSG_TRUNC) !== 0) {
        this.counters.receiveTruncated++;
        continue;
      }
      const source = decodeSockaddr(bytes.subarray(NAME, NAME + 32));
      if (!source || source.family !== socket.family) continue;
      const i = batch.count++;
      batch.offsets[i] = offset;
      batch.lengths[i] = n;
      batch.ports[i] = source.port;
      batch.sources.set(source.address, i * 16);
      const info = findPacketInfo(bytes.subarray(CONTROL, CONTROL + CONTROL_SPACE), header.controlLength);
      batch.hasLocal[i] = info ? 1 : 0;
      batch.interfaces[i] = info?.interfaceIndex ?? 0;
      if (info) batch.locals.set(info.localAddress, i * 16);
      offset += n;
    }
    if (batch.count > 0) this.handler.datagrams(batch);
  }

  private fail(error: Error): void {
    this.close();
    if (!this.handler.error) throw error;
    this.handler.error(error);
  }
}

function isLinkLocal(family: IpFamily, address: Uint8Array): boolean {
  return family === 6 && address[0] === 0xfe && ((address[1] ?? 0) & 0xc0) === 0x80;
}

function openSocket(sys: DarwinSyscalls, family: IpFamily, port: number, dataSize: number, sendSize: number): Socket {
  const fd = check('socket', sys.socket(family === 4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0));
  const socket = new Socket(sys, fd, family, dataSize, sendSize);
  try {
    makeNonBlockingPrivate(sys, fd);
    if (family === 6) {
      check('setsockopt', socket.setInt(IPPROTO_IPV6, IPV6_V6ONLY, 1));
      check('setsockopt', socket.setInt(IPPROTO_IPV6, IPV6_RECVPKTINFO, 1));
    } else {
      check('setsockopt', socket.setInt(IPPROTO_IP, IP_PKTINFO, 1));
    }
    // Larger buffers ride out a busy event loop; the system's ceiling (kern.ipc.maxsockbuf) may refuse them.
    socket.setInt(SOL_SOCKET, SO_RCVBUF, SOCKET_BUFFER);
    socket.setInt(SOL_SOCKET, SO_SNDBUF, SOCKET_BUFFER);
    const any = new Uint8Array(16);
    const length = encodeSockaddr(socket.memory.bytes.subarray(NAME), family, any, port);
    check('bind', sys.bind(fd, socket.at(NAME), length));
    return socket;
  } catch (error) {
    socket.close();
    throw error;
  }
}

function localPort(socket: Socket): number {
  const bytes = socket.memory.bytes;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(CELL, 32, true);
  check('getsockname', socket.sys.getsockname(socket.fd, socket.at(NAME), socket.at(CELL)));
  const address = decodeSockaddr(bytes.subarray(NAME, NAME + 32));
  if (!address) throw new Error('getsockname gave no IP address');
  return address.port;
}
