// The wg(8) control protocol's view of a running interface: state for `get`,
// and the steps of a `set` applied to the engine and its sockets.
import { maskCidr, type Cidr, type Endpoint } from '../net/ip.js';
import type { Peer } from '../engine/peer.js';
import { applySetRequest, UapiSetApplier, type UapiSetTarget } from '../uapi/apply.js';
import { EADDRINUSE, EINVAL } from '../uapi/errno.js';
import {
  UapiError,
  type UapiDevice,
  type UapiDeviceState,
  type UapiPeerState,
  type UapiSetRequest,
  type UapiSetSession,
} from '../uapi/model.js';
import type { WireGuardInterface } from './wireguard-interface.js';

export class DeviceControl implements UapiDevice, UapiSetTarget {
  constructor(private readonly wg: WireGuardInterface) {}

  get(): UapiDeviceState {
    const device = this.wg.device;
    return {
      privateKey: device.privateKey?.raw,
      listenPort: this.wg.listenPort,
      fwmark: this.wg.fwmarkValue,
      peers: this.peerStates(),
    };
  }

  private *peerStates(): Generator<UapiPeerState> {
    for (const peer of this.wg.device.peers) yield this.peerState(peer);
  }

  private peerState(peer: Peer): UapiPeerState {
    const wall = peer.lastHandshakeWallClock;
    return {
      publicKey: peer.publicKey,
      presharedKey: peer.presharedKey.some((b) => b !== 0) ? peer.presharedKey : undefined,
      endpoint: peer.endpoint,
      persistentKeepaliveInterval: peer.timers.persistentKeepaliveInterval,
      lastHandshake: wall === undefined ? undefined : { sec: Math.floor(wall / 1000), nsec: (wall % 1000) * 1_000_000 },
      rxBytes: BigInt(peer.rxBytes),
      txBytes: BigInt(peer.txBytes),
      allowedIps: this.wg.device.allowedIps.entriesFor(peer),
    };
  }

  /** A whole request, as the tunnel manager configures the engine. */
  async set(request: UapiSetRequest): Promise<void> {
    try {
      await applySetRequest(request, this);
    } finally {
      // New peers, endpoints and keepalives may mean something is due now.
      this.wg.afterInput();
    }
  }

  beginSet(): UapiSetSession {
    const applier = new UapiSetApplier(this);
    return {
      apply: (step) => applier.apply(step),
      end: () => {
        applier.end();
        this.wg.afterInput();
      },
    };
  }

  async setListenPort(port: number): Promise<void> {
    try {
      await this.wg.bind(port);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UapiError(
        code === 'EADDRINUSE' ? EADDRINUSE : EINVAL,
        `cannot listen on port ${port}: ${(error as Error).message}`,
      );
    }
  }

  setFwmark(mark: number): void {
    try {
      this.wg.setFwmark(mark);
    } catch (error) {
      throw new UapiError(EINVAL, `cannot set fwmark ${mark}: ${(error as Error).message}`);
    }
  }

  setPrivateKey(key: Uint8Array | undefined): void {
    this.wg.device.setPrivateKey(key);
  }

  publicKey(): Uint8Array | undefined {
    return this.wg.device.publicKey;
  }

  peerPublicKeys(): readonly Uint8Array[] {
    return [...this.wg.device.peers].map((peer) => peer.publicKey);
  }

  hasPeer(publicKey: Uint8Array): boolean {
    return this.wg.device.getPeer(publicKey) !== undefined;
  }

  addPeer(publicKey: Uint8Array): void {
    this.wg.device.addPeer(publicKey);
  }

  removePeer(publicKey: Uint8Array): void {
    const peer = this.wg.device.getPeer(publicKey);
    if (peer) this.wg.device.removePeer(peer);
  }

  private peer(publicKey: Uint8Array): Peer {
    const peer = this.wg.device.getPeer(publicKey);
    if (!peer) throw new UapiError(EINVAL, 'no such peer');
    return peer;
  }

  setPresharedKey(publicKey: Uint8Array, key: Uint8Array | undefined): void {
    this.wg.device.setPresharedKey(this.peer(publicKey), key ?? new Uint8Array(32));
  }

  setEndpoint(publicKey: Uint8Array, endpoint: Endpoint): void {
    this.peer(publicKey).endpoint = endpoint;
  }

  setPersistentKeepaliveInterval(publicKey: Uint8Array, seconds: number): void {
    const peer = this.peer(publicKey);
    const wasOff = peer.timers.persistentKeepaliveInterval === 0;
    peer.timers.persistentKeepaliveInterval = seconds;
    // As wireguard-go: turning it on sends a keepalive at once, which also brings the session up.
    if (wasOff && seconds > 0 && peer.endpoint) peer.timers.set('persistentKeepalive', this.wg.device.clock.now());
  }

  addAllowedIp(publicKey: Uint8Array, cidr: Cidr): void {
    this.wg.device.allowedIps.insert(maskCidr(cidr), this.peer(publicKey));
  }

  removeAllowedIp(publicKey: Uint8Array, cidr: Cidr): void {
    this.wg.device.allowedIps.remove(maskCidr(cidr), this.peer(publicKey));
  }

  clearAllowedIps(publicKey: Uint8Array): void {
    this.wg.device.allowedIps.removeValue(this.peer(publicKey));
  }
}
