// The engine's UDP over the native addon (helper/native: udp_linux.c,
// udp_win32.c), the same on every platform that builds it: an IPv6 and an
// IPv4 socket on one port. Each receive wake-up hands over one batch of
// datagrams with their sources and the local address each was sent to; sends
// go out in batches, from that local address when the endpoint carries it
// ("sticky source"). What only Linux has (offloads, the firewall mark) is the
// addon's to do or refuse.
import { loadNativeAddon, type NativeHandle } from './native-addon.js';
import type { Endpoint, IpFamily } from '../net/ip.js';
import type { DatagramBatch, UdpHandler, UdpStats, UdpTransport } from './udp.js';

/** Most messages per receive wake-up (the addon's limit); each is a datagram or a coalesced train of them. */
export const MAX_RECEIVE_MESSAGES = 64;
/**
 * Most datagrams in a coalesced train: the kernel's UDP_MAX_SEGMENTS (64 on
 * older kernels, 128 on newer ones; UDP_GRO_CNT_MAX, 64, for trains coalesced
 * from the wire).
 */
const MAX_TRAIN = 128;
/** Most datagrams per receive wake-up, so that no train is cut short. */
export const MAX_RECEIVE_BATCH = MAX_RECEIVE_MESSAGES * MAX_TRAIN;
/** Each message's slot holds the largest train (udp_binding.h's RECEIVE_SLOT_BYTES). */
const RECEIVE_SLOT_BYTES = 65536;
/** Most datagrams per send call (the addon's limit); longer batches take several calls. */
export const MAX_SEND_BATCH = 128;
/**
 * Larger received datagrams are dropped unless the caller allows more.
 * WireGuard wraps a tunnel packet of MTU m in at most m + 48 bytes, so this
 * covers tunnel MTUs up to 4048; larger ones (9000) need maxDatagramSize = MTU + 48.
 */
export const DEFAULT_MAX_DATAGRAM_SIZE = 4096;
const MAX_UDP_PAYLOAD = 65527;

// Per-datagram records shared with udp_binding.h: RECEIVED_WORDS or
// OUTGOING_WORDS words and an address pair (remote, then local at
// LOCAL_OFFSET) of ADDRESS_PAIR_BYTES.
const RECEIVED_WORDS = 5;
const OUTGOING_WORDS = 4;
const ADDRESS_PAIR_BYTES = 32;
const LOCAL_OFFSET = 16;
const RECEIVED_LENGTH = 0;
const RECEIVED_FAMILY = 1;
const RECEIVED_PORT = 2;
const RECEIVED_INTERFACE = 3;
const RECEIVED_OFFSET = 4;
const OUTGOING_FAMILY = 0;
const OUTGOING_PORT = 1;
const OUTGOING_INTERFACE = 2;
const OUTGOING_SOURCE = 3;
const SOURCE_ROUTED = 0;
const SOURCE_STICKY = 1;
const SOURCE_REFUSED = 2;

/** The addon's UDP functions. */
export interface NativeUdpBinding {
  /** Binds IPv6 (v6-only) and IPv4 to `port` (0: a free port for both); throws errors with code/errno/syscall. */
  bind(
    port: number,
    maxDatagramSize: number,
    offload: boolean,
    data: Uint8Array,
    received: Uint32Array,
    receivedAddresses: Uint8Array,
    outgoing: Uint32Array,
    outgoingAddresses: Uint8Array,
    onBatch: (count: number) => void,
    onError: (error: Error) => void,
  ): NativeHandle;
  port(handle: NativeHandle): number;
  /** Sends datagrams[first, first + count) to the endpoints in outgoing records 0..count; returns how many went. */
  send(handle: NativeHandle, datagrams: readonly Uint8Array[], first: number, count: number): number;
  setMark(handle: NativeHandle, mark: number): void;
  stats(handle: NativeHandle): NativeUdpCounters;
  close(handle: NativeHandle): void;
}

/** Counts since bind, kept by the addon. */
export interface NativeUdpCounters {
  readonly truncated: number;
  readonly segmented: number;
  readonly segmentedDatagrams: number;
  readonly segmentationRefused: number;
  readonly coalesced: number;
  readonly coalescedDatagrams: number;
}

export class ReceivedBatch implements DatagramBatch {
  count = 0;
  /** Slots for the messages of one wake-up; pages the kernel never writes to cost no memory. */
  readonly data = new Uint8Array(MAX_RECEIVE_MESSAGES * RECEIVE_SLOT_BYTES);
  readonly records = new Uint32Array(MAX_RECEIVE_BATCH * RECEIVED_WORDS);
  readonly addresses = new Uint8Array(MAX_RECEIVE_BATCH * ADDRESS_PAIR_BYTES);

  datagram(index: number): Uint8Array {
    const record = this.check(index) * RECEIVED_WORDS;
    const offset = this.records[record + RECEIVED_OFFSET]!;
    return this.data.subarray(offset, offset + this.records[record + RECEIVED_LENGTH]!);
  }

  sourceFamily(index: number): IpFamily {
    return this.records[this.check(index) * RECEIVED_WORDS + RECEIVED_FAMILY] === 4 ? 4 : 6;
  }

  sourceAddress(index: number): Uint8Array {
    const start = index * ADDRESS_PAIR_BYTES;
    return this.addresses.subarray(start, start + this.addressLength(index));
  }

  sourcePort(index: number): number {
    return this.records[this.check(index) * RECEIVED_WORDS + RECEIVED_PORT]!;
  }

  localAddress(index: number): Uint8Array | undefined {
    if (this.localInterface(index) === 0) return undefined;
    const start = index * ADDRESS_PAIR_BYTES + LOCAL_OFFSET;
    return this.addresses.subarray(start, start + this.addressLength(index));
  }

  localInterface(index: number): number {
    return this.records[this.check(index) * RECEIVED_WORDS + RECEIVED_INTERFACE]!;
  }

  endpoint(index: number): Endpoint {
    const local = this.localAddress(index);
    // One shape whether or not the local source is known, for the engine's sake.
    return {
      family: this.sourceFamily(index),
      bytes: this.sourceAddress(index).slice(),
      port: this.sourcePort(index),
      localAddress: local?.slice(),
      localInterface: local ? this.localInterface(index) : undefined,
    };
  }

  private addressLength(index: number): number {
    return this.sourceFamily(index) === 4 ? 4 : 16;
  }

  private check(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(`datagram index ${index} outside batch of ${this.count}`);
    }
    return index;
  }
}

/** The endpoints of one send call, in the layout the addon reads. */
export class OutgoingRecords {
  readonly records = new Uint32Array(MAX_SEND_BATCH * OUTGOING_WORDS);
  readonly addresses = new Uint8Array(MAX_SEND_BATCH * ADDRESS_PAIR_BYTES);

  /** Returns whether the endpoint asks for a sticky source. */
  write(index: number, endpoint: Endpoint): boolean {
    const record = index * OUTGOING_WORDS;
    const pair = index * ADDRESS_PAIR_BYTES;
    this.records[record + OUTGOING_FAMILY] = endpoint.family;
    this.records[record + OUTGOING_PORT] = endpoint.port;
    this.addresses.set(endpoint.bytes, pair);
    const local = endpoint.localAddress;
    const sticky = local !== undefined && local.length === endpoint.bytes.length;
    if (sticky) this.addresses.set(local, pair + LOCAL_OFFSET);
    this.records[record + OUTGOING_INTERFACE] = sticky ? (endpoint.localInterface ?? 0) : 0;
    this.records[record + OUTGOING_SOURCE] = sticky ? SOURCE_STICKY : SOURCE_ROUTED;
    return sticky;
  }

  refused(index: number): boolean {
    return this.records[index * OUTGOING_WORDS + OUTGOING_SOURCE] === SOURCE_REFUSED;
  }
}

function checkMaxDatagramSize(maxDatagramSize: number): number {
  if (!Number.isInteger(maxDatagramSize) || maxDatagramSize < 1 || maxDatagramSize > MAX_UDP_PAYLOAD) {
    throw new RangeError(`maxDatagramSize must be 1..${MAX_UDP_PAYLOAD}, not ${maxDatagramSize}`);
  }
  return maxDatagramSize;
}

/** A UdpTransport over the addon's udp functions, on whichever platform built them. */
export class NativeUdp implements UdpTransport {
  readonly port: number;
  private readonly native: NativeUdpBinding;
  private readonly handle: NativeHandle;
  private readonly batch = new ReceivedBatch();
  private readonly outgoing = new OutgoingRecords();
  private closed = false;
  private sendDropped = 0;
  private staleSources: Endpoint[] = [];

  /** `offload`: UDP_SEGMENT and UDP_GRO where the platform has them (Linux); elsewhere it changes nothing. */
  constructor(
    port: number,
    private readonly handler: UdpHandler,
    maxDatagramSize: number,
    offload: boolean,
  ) {
    this.native = loadNativeAddon().udp;
    this.handle = this.native.bind(
      port,
      checkMaxDatagramSize(maxDatagramSize),
      offload,
      this.batch.data,
      this.batch.records,
      this.batch.addresses,
      this.outgoing.records,
      this.outgoing.addresses,
      (count) => this.deliver(count),
      (error) => this.fail(error),
    );
    this.port = this.native.port(this.handle);
  }

  sendBatch(datagrams: readonly Uint8Array[], endpoints: readonly Endpoint[]): number {
    if (datagrams.length !== endpoints.length) {
      throw new RangeError(`${datagrams.length} datagrams for ${endpoints.length} endpoints`);
    }
    let sent = 0;
    for (let first = 0; first < datagrams.length && !this.closed; first += MAX_SEND_BATCH) {
      sent += this.sendChunk(datagrams, endpoints, first, Math.min(MAX_SEND_BATCH, datagrams.length - first));
    }
    this.sendDropped += datagrams.length - sent;
    return sent;
  }

  send(datagram: Uint8Array, endpoint: Endpoint): boolean {
    return this.sendBatch([datagram], [endpoint]) === 1;
  }

  setMark(mark: number): void {
    if (!Number.isInteger(mark) || mark < 0 || mark > 0xffffffff)
      throw new RangeError(`mark ${mark} is not a 32-bit value`);
    this.native.setMark(this.handle, mark);
  }

  stats(): UdpStats {
    const counters = this.native.stats(this.handle);
    return {
      sendDropped: this.sendDropped,
      receiveTruncated: counters.truncated,
      sendSegmented: counters.segmented,
      sendSegmentedDatagrams: counters.segmentedDatagrams,
      sendSegmentationRefused: counters.segmentationRefused,
      receiveCoalesced: counters.coalesced,
      receiveCoalescedDatagrams: counters.coalescedDatagrams,
    };
  }

  close(): void {
    this.closed = true;
    this.native.close(this.handle);
  }

  private sendChunk(
    datagrams: readonly Uint8Array[],
    endpoints: readonly Endpoint[],
    first: number,
    count: number,
  ): number {
    let sticky = false;
    for (let i = 0; i < count; i++) sticky = this.outgoing.write(i, endpoints[first + i]!) || sticky;
    const sent = this.native.send(this.handle, datagrams, first, count);
    if (sticky && this.handler.staleSource) {
      for (let i = 0; i < count; i++) if (this.outgoing.refused(i)) this.reportStaleSource(endpoints[first + i]!);
    }
    return sent;
  }

  private reportStaleSource(endpoint: Endpoint): void {
    if (this.staleSources.push(endpoint) > 1) return;
    queueMicrotask(() => {
      const stale = this.staleSources;
      this.staleSources = [];
      if (this.closed) return;
      for (const each of stale) this.handler.staleSource?.(each);
    });
  }

  private deliver(count: number): void {
    this.batch.count = count;
    this.handler.datagrams(this.batch);
  }

  private fail(error: Error): void {
    if (this.closed) return;
    this.close();
    if (this.handler.error) this.handler.error(error);
    // Like an 'error' event nobody listens to: a transport that died unnoticed must not go quiet.
    else throw error;
  }
}
