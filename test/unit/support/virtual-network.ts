// Two or more engine Devices joined by an in-memory network under a virtual
// clock: datagrams are queued and delivered in order, and time only moves when
// the test says so, firing each device's timers at their deadlines.
import { Device, type DeviceOptions } from '../../../helper/src/engine/device.js';
import { engineCrypto } from '../../../helper/src/crypto/provider.js';
import { generatePrivateKey, importPrivateKey } from '../../../helper/src/crypto/x25519.js';
import { formatEndpoint, parseCidr, parseEndpoint, type Endpoint } from '../../../helper/src/net/ip.js';

export class VirtualClock {
  constructor(public time = 1_000_000) {}
  now = (): number => this.time;
  wallClock = (): number => 1_700_000_000_000 + this.time;
}

export interface Node {
  readonly name: string;
  readonly device: Device;
  readonly endpoint: Endpoint;
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
  /** Packets the device wrote to its TUN. */
  readonly received: Uint8Array[];
  /** Datagrams this node sent, with their destinations. */
  readonly sent: { datagram: Uint8Array; to: Endpoint; at: number }[];
}

export class VirtualNetwork {
  readonly clock = new VirtualClock();
  readonly nodes = new Map<string, Node>();
  private readonly queue: { datagram: Uint8Array; from: Endpoint; to: Endpoint }[] = [];
  /** Return false to lose a datagram. */
  filter: (datagram: Uint8Array, from: Endpoint, to: Endpoint) => boolean = () => true;

  /** A device on the network; a fixed `privateKey` and a seeded `random` make its handshakes repeatable. */
  addNode(
    name: string,
    endpointText: string,
    options: Partial<DeviceOptions> & { readonly privateKey?: Uint8Array } = {},
  ): Node {
    const { privateKey, ...deviceOptions } = options;
    const endpoint = parseEndpoint(endpointText)!;
    const received: Uint8Array[] = [];
    const sent: { datagram: Uint8Array; to: Endpoint; at: number }[] = [];
    const nodeRef: { current?: Node } = {};
    const device = new Device({
      ...engineCrypto(),
      clock: this.clock,
      output: {
        // The device lends its buffers for the call only: keep copies.
        sendDatagrams: (datagrams, endpoints) => {
          datagrams.forEach((lent, i) => {
            const datagram = Uint8Array.from(lent);
            const to = endpoints[i]!;
            sent.push({ datagram, to, at: this.clock.time });
            if (this.filter(datagram, nodeRef.current!.endpoint, to))
              this.queue.push({ datagram, from: nodeRef.current!.endpoint, to });
          });
        },
        writePackets: (packets) => packets.forEach((packet) => received.push(Uint8Array.from(packet))),
      },
      ...deviceOptions,
    });
    const key = privateKey ? importPrivateKey(privateKey) : generatePrivateKey();
    device.setPrivateKey(key.raw);
    const node: Node = { name, device, endpoint, publicKey: key.publicKey, privateKey: key.raw, received, sent };
    nodeRef.current = node;
    this.nodes.set(name, node);
    return node;
  }

  /** Makes `a` know `b` as a peer routing `allowedIps`, optionally with b's endpoint. */
  connect(a: Node, b: Node, allowedIps: string[], withEndpoint = true) {
    const peer = a.device.addPeer(b.publicKey)!;
    for (const cidr of allowedIps) a.device.allowedIps.insert(parseCidr(cidr)!, peer);
    if (withEndpoint) peer.endpoint = b.endpoint;
    return peer;
  }

  /** Delivers queued datagrams until the network is quiet. */
  flush(limit = 100_000): number {
    let delivered = 0;
    for (const node of this.nodes.values()) node.device.flush();
    while (this.queue.length > 0) {
      if (++delivered > limit) throw new Error('network did not go quiet');
      const { datagram, from, to } = this.queue.shift()!;
      const target = [...this.nodes.values()].find((n) => formatEndpoint(n.endpoint) === formatEndpoint(to));
      target?.device.handleDatagram(datagram, from);
      target?.device.flush();
    }
    return delivered;
  }

  /** Moves time forward to `until`, firing every timer on the way in order. */
  advance(ms: number): void {
    const until = this.clock.time + ms;
    for (;;) {
      this.flush();
      let next = Infinity;
      for (const node of this.nodes.values()) next = Math.min(next, node.device.nextDeadline());
      if (next > until) break;
      this.clock.time = Math.max(this.clock.time, next);
      for (const node of this.nodes.values()) node.device.runTimers();
    }
    this.clock.time = until;
    this.flush();
  }
}

/** A minimal IPv4/UDP-shaped packet from `source` to `destination` with `payloadLength` bytes. */
export function ipv4Packet(source: string, destination: string, payloadLength = 32, fill = 0xab): Uint8Array {
  const packet = new Uint8Array(20 + payloadLength).fill(fill);
  packet[0] = 0x45;
  packet[1] = 0;
  packet[2] = packet.length >> 8;
  packet[3] = packet.length & 0xff;
  packet[9] = 17;
  packet.set(parseCidr(source)!.bytes, 12);
  packet.set(parseCidr(destination)!.bytes, 16);
  return packet;
}

export function ipv6Packet(source: string, destination: string, payloadLength = 32): Uint8Array {
  const packet = new Uint8Array(40 + payloadLength).fill(0xcd);
  packet[0] = 0x60;
  packet[1] = 0;
  packet[2] = 0;
  packet[3] = 0;
  packet[4] = payloadLength >> 8;
  packet[5] = payloadLength & 0xff;
  packet[6] = 17;
  packet[7] = 64;
  packet.set(parseCidr(source)!.bytes, 8);
  packet.set(parseCidr(destination)!.bytes, 24);
  return packet;
}

/** A repeatable stand-in for secure randomness (xorshift32 from a seed), for replaying handshakes. */
export function seededRandom(seed: number): (out: Uint8Array) => void {
  let state = seed >>> 0 || 1;
  return (out) => {
    for (let i = 0; i < out.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      out[i] = state & 0xff;
    }
  };
}
