// A device that is only its configuration: the control socket's semantics with
// no data plane behind them, for the tests of the control protocol and its fuzzing.
import { importPrivateKey } from '../../../helper/src/crypto/x25519.js';
import { formatCidr, type Cidr, type Endpoint } from '../../../helper/src/net/ip.js';
import { applySetRequest, UapiSetApplier, type UapiSetTarget } from '../../../helper/src/uapi/apply.js';
import type {
  UapiDevice,
  UapiDeviceState,
  UapiPeerState,
  UapiSetRequest,
  UapiSetSession,
} from '../../../helper/src/uapi/model.js';
import { formatKeyHex } from '../../../helper/src/uapi/protocol.js';

interface MemoryPeer {
  readonly publicKey: Uint8Array;
  presharedKey: Uint8Array | undefined;
  endpoint: Endpoint | undefined;
  persistentKeepaliveInterval: number;
  /** By formatted network, in the order the networks were added. */
  readonly allowedIps: Map<string, Cidr>;
}

export interface MemoryUapiDeviceOptions {
  /** Stands in for binding the UDP socket: returns the port bound (0 asks for any). */
  bind?: (port: number) => number | Promise<number>;
}

export class MemoryUapiDevice implements UapiDevice, UapiSetTarget {
  private privateKey: Uint8Array | undefined;
  private ownPublicKey: Uint8Array | undefined;
  private listenPort = 0;
  private fwmark = 0;
  /** By hex public key, in the order the peers were added. */
  private readonly peers = new Map<string, MemoryPeer>();
  /** Which peer (hex public key) each network routes to. */
  private readonly owners = new Map<string, string>();

  constructor(private readonly options: MemoryUapiDeviceOptions = {}) {}

  get(): UapiDeviceState {
    return {
      privateKey: this.privateKey,
      listenPort: this.listenPort,
      fwmark: this.fwmark,
      peers: [...this.peers.values()].map((peer): UapiPeerState => ({
        publicKey: peer.publicKey,
        presharedKey: peer.presharedKey,
        endpoint: peer.endpoint,
        persistentKeepaliveInterval: peer.persistentKeepaliveInterval,
        lastHandshake: undefined,
        rxBytes: 0n,
        txBytes: 0n,
        allowedIps: [...peer.allowedIps.values()],
      })),
    };
  }

  set(request: UapiSetRequest): Promise<void> {
    return applySetRequest(request, this);
  }

  beginSet(): UapiSetSession {
    const applier = new UapiSetApplier(this);
    return { apply: (step) => applier.apply(step), end: () => applier.end() };
  }

  async setListenPort(port: number): Promise<void> {
    this.listenPort = this.options.bind ? await this.options.bind(port) : port;
  }

  setFwmark(mark: number): void {
    this.fwmark = mark;
  }

  setPrivateKey(key: Uint8Array | undefined): void {
    const imported = key && importPrivateKey(key);
    // Stored clamped, as wireguard-go and the Linux module store it.
    this.privateKey = imported && new Uint8Array(imported.raw);
    this.ownPublicKey = imported && new Uint8Array(imported.publicKey);
  }

  publicKey(): Uint8Array | undefined {
    return this.ownPublicKey;
  }

  peerPublicKeys(): readonly Uint8Array[] {
    return [...this.peers.values()].map((peer) => peer.publicKey);
  }

  hasPeer(publicKey: Uint8Array): boolean {
    return this.peers.has(formatKeyHex(publicKey));
  }

  addPeer(publicKey: Uint8Array): void {
    this.peers.set(formatKeyHex(publicKey), {
      publicKey: publicKey.slice(),
      presharedKey: undefined,
      endpoint: undefined,
      persistentKeepaliveInterval: 0,
      allowedIps: new Map(),
    });
  }

  removePeer(publicKey: Uint8Array): void {
    this.clearAllowedIps(publicKey);
    this.peers.delete(formatKeyHex(publicKey));
  }

  setPresharedKey(publicKey: Uint8Array, key: Uint8Array | undefined): void {
    this.peer(publicKey).presharedKey = key?.slice();
  }

  setEndpoint(publicKey: Uint8Array, endpoint: Endpoint): void {
    this.peer(publicKey).endpoint = endpoint;
  }

  setPersistentKeepaliveInterval(publicKey: Uint8Array, seconds: number): void {
    this.peer(publicKey).persistentKeepaliveInterval = seconds;
  }

  addAllowedIp(publicKey: Uint8Array, cidr: Cidr): void {
    const network = formatCidr(cidr);
    const owner = this.owners.get(network);
    const hex = formatKeyHex(publicKey);
    if (owner !== undefined && owner !== hex) this.peers.get(owner)?.allowedIps.delete(network);
    this.owners.set(network, hex);
    this.peer(publicKey).allowedIps.set(network, cidr);
  }

  removeAllowedIp(publicKey: Uint8Array, cidr: Cidr): void {
    const network = formatCidr(cidr);
    const hex = formatKeyHex(publicKey);
    if (this.owners.get(network) !== hex) return;
    this.owners.delete(network);
    this.peer(publicKey).allowedIps.delete(network);
  }

  clearAllowedIps(publicKey: Uint8Array): void {
    const peer = this.peer(publicKey);
    for (const network of peer.allowedIps.keys()) this.owners.delete(network);
    peer.allowedIps.clear();
  }

  private peer(publicKey: Uint8Array): MemoryPeer {
    const peer = this.peers.get(formatKeyHex(publicKey));
    if (!peer) throw new Error(`no peer ${formatKeyHex(publicKey)}`);
    return peer;
  }
}
