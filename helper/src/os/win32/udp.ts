// The engine's UDP on Windows, over Winsock through node:dgram: an IPv6
// (v6-only) and an IPv4 socket on one port. Winsock has no recvmmsg or
// sendmmsg, and node:dgram hands over one datagram per completion, so the
// datagrams that arrive within one turn of the event loop are gathered and
// delivered as one batch (at setImmediate, after the poll phase that read
// them), and a batch is sent as one send per datagram. IP_PKTINFO and UDP
// segmentation offload need the raw SOCKET, which node:dgram does not expose:
// replies leave from the address routing picks.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { formatIpAddress, parseIpAddress, type Endpoint, type IpFamily } from '../../net/ip.js';
import type { DatagramBatch, UdpHandler, UdpStats, UdpTransport } from '../udp.js';

/** Most datagrams per batch; more in one turn start the next batch. */
export const MAX_RECEIVE_BATCH = 256;

class GatheredBatch implements DatagramBatch {
  readonly datagrams: Buffer[] = [];
  readonly sources: Endpoint[] = [];

  get count(): number {
    return this.datagrams.length;
  }

  datagram(index: number): Uint8Array {
    return this.datagrams[this.check(index)]!;
  }

  sourceFamily(index: number): IpFamily {
    return this.sources[this.check(index)]!.family;
  }

  sourceAddress(index: number): Uint8Array {
    return this.sources[this.check(index)]!.bytes;
  }

  sourcePort(index: number): number {
    return this.sources[this.check(index)]!.port;
  }

  localAddress(): undefined {
    return undefined;
  }

  localInterface(): number {
    return 0;
  }

  endpoint(index: number): Endpoint {
    const source = this.sources[this.check(index)]!;
    return {
      family: source.family,
      bytes: source.bytes.slice(),
      port: source.port,
      localAddress: undefined,
      localInterface: undefined,
    };
  }

  clear(): void {
    this.datagrams.length = 0;
    this.sources.length = 0;
  }

  private check(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.datagrams.length) {
      throw new RangeError(`datagram index ${index} outside batch of ${this.datagrams.length}`);
    }
    return index;
  }
}

function sourceOf(info: RemoteInfo): Endpoint | undefined {
  // Scope ids ("fe80::1%12") are not part of the address bytes.
  const address = parseIpAddress(info.address.replace(/%.*$/, ''));
  return address ? { ...address, port: info.port, localAddress: undefined, localInterface: undefined } : undefined;
}

function bindSocket(socket: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

class WinsockUdp implements UdpTransport {
  private readonly batch = new GatheredBatch();
  private flushing = false;
  private closed = false;
  private sendDropped = 0;

  constructor(
    readonly port: number,
    private readonly v6: Socket,
    private readonly v4: Socket,
    private readonly handler: UdpHandler,
  ) {
    for (const socket of [v6, v4]) {
      socket.on('message', (datagram, info) => this.receive(datagram, info));
      socket.on('error', (error) => this.fail(error));
    }
  }

  sendBatch(datagrams: readonly Uint8Array[], endpoints: readonly Endpoint[]): number {
    if (datagrams.length !== endpoints.length) {
      throw new RangeError(`${datagrams.length} datagrams for ${endpoints.length} endpoints`);
    }
    if (this.closed) {
      this.sendDropped += datagrams.length;
      return 0;
    }
    for (let i = 0; i < datagrams.length; i++) {
      const endpoint = endpoints[i]!;
      const socket = endpoint.family === 4 ? this.v4 : this.v6;
      // node:dgram copies the bytes before send() returns; the engine may reuse its buffers.
      socket.send(datagrams[i]!, endpoint.port, formatIpAddress(endpoint), (error) => {
        if (error) this.sendDropped++;
      });
    }
    return datagrams.length;
  }

  send(datagram: Uint8Array, endpoint: Endpoint): boolean {
    return this.sendBatch([datagram], [endpoint]) === 1;
  }

  setMark(): void {
    throw new Error(
      'a socket mark (fwmark) is Linux policy routing; Windows keeps the endpoint off the tunnel by route',
    );
  }

  stats(): UdpStats {
    return {
      sendDropped: this.sendDropped,
      receiveTruncated: 0,
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
    this.batch.clear();
    this.v6.close();
    this.v4.close();
  }

  private receive(datagram: Buffer, info: RemoteInfo): void {
    if (this.closed) return;
    const source = sourceOf(info);
    if (!source) return;
    this.batch.datagrams.push(datagram);
    this.batch.sources.push(source);
    if (this.batch.count >= MAX_RECEIVE_BATCH) this.deliver();
    else if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => this.deliver());
    }
  }

  private deliver(): void {
    this.flushing = false;
    if (this.closed || this.batch.count === 0) return;
    try {
      this.handler.datagrams(this.batch);
    } finally {
      this.batch.clear();
    }
  }

  private fail(error: Error): void {
    if (this.closed) return;
    this.close();
    if (this.handler.error) this.handler.error(error);
    else throw error;
  }
}

/**
 * Binds IPv6 and then IPv4 to `port` (0: the port the system gives IPv6,
 * tried again a few times should IPv4 find it taken).
 */
export async function bindWinsockUdp(port: number, handler: UdpHandler): Promise<UdpTransport> {
  for (let attempt = 0; ; attempt++) {
    const v6 = createSocket({ type: 'udp6', ipv6Only: true });
    const v4 = createSocket({ type: 'udp4' });
    try {
      await bindSocket(v6, port, '::');
      const bound = v6.address().port;
      await bindSocket(v4, bound, '0.0.0.0');
      return new WinsockUdp(bound, v6, v4, handler);
    } catch (error) {
      v6.close();
      v4.close();
      if (port !== 0 || attempt >= 8 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
}
