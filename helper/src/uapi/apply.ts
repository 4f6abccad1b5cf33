// What a set request means, step by step, as wireguard-go and the Linux module
// apply it; the device behind the control socket only implements the steps.
import { equalBytes, type Cidr, type Endpoint } from '../net/ip.js';
import type { UapiPeerChange, UapiSetRequest, UapiSetStep } from './model.js';
import { isZeroKey } from './protocol.js';

/** The mutations a set request is made of. Peers are named by public key. */
export interface UapiSetTarget {
  /** Rebinds; throws UapiError (EADDRINUSE) when the port cannot be had. 0 picks a free port. */
  setListenPort(port: number): void | Promise<void>;
  /** 0 removes the mark. */
  setFwmark(mark: number): void | Promise<void>;
  /** undefined removes the key. */
  setPrivateKey(key: Uint8Array | undefined): void;
  /** The public key of the current private key, if there is one. */
  publicKey(): Uint8Array | undefined;
  peerPublicKeys(): readonly Uint8Array[];
  hasPeer(publicKey: Uint8Array): boolean;
  addPeer(publicKey: Uint8Array): void;
  removePeer(publicKey: Uint8Array): void;
  /** undefined removes the preshared key. */
  setPresharedKey(publicKey: Uint8Array, key: Uint8Array | undefined): void;
  setEndpoint(publicKey: Uint8Array, endpoint: Endpoint): void;
  /** Seconds; 0 turns it off. */
  setPersistentKeepaliveInterval(publicKey: Uint8Array, seconds: number): void;
  /** Routes the network to this peer, taking it from whichever peer had it. */
  addAllowedIp(publicKey: Uint8Array, cidr: Cidr): void;
  /** Takes the network from this peer, if this peer has it. */
  removeAllowedIp(publicKey: Uint8Array, cidr: Cidr): void;
  clearAllowedIps(publicKey: Uint8Array): void;
}

/** Where the session is: on the device's keys, on a peer block (and whether that peer is to be touched), or skipping one. */
type Block =
  | { readonly kind: 'device' }
  /** The peer exists; `made` when this block made it. */
  | { readonly kind: 'peer'; readonly publicKey: Uint8Array; readonly made: boolean }
  /** The peer does not exist yet: made by the first step that changes it, or at the block's end. */
  | { readonly kind: 'new-peer'; readonly publicKey: Uint8Array }
  /** Removed, update-only for a peer that does not exist, or the device itself: its remaining lines change nothing. */
  | { readonly kind: 'skipped' };

/**
 * Applies the steps of a set request as they come, as wireguard-go applies its
 * lines: the device's keys at once, each peer block to its peer, in the order
 * of its lines. A peer that does not exist is made by the first step that
 * changes it, so that an update_only or remove right after its public_key
 * never makes it at all; one that comes later takes away the peer this block
 * made, with what the lines before it gave it, as wireguard-go does.
 */
export class UapiSetApplier {
  private block: Block = { kind: 'device' };

  constructor(private readonly target: UapiSetTarget) {}

  /** Applies one step; a promise only for one that has to wait (binding the port). */
  apply(step: UapiSetStep): void | Promise<void> {
    switch (step.key) {
      case 'listen_port':
        return this.target.setListenPort(step.value);
      case 'fwmark':
        return this.target.setFwmark(step.value);
      case 'private_key':
        return applyPrivateKey(this.target, step.value);
      case 'replace_peers':
        for (const publicKey of [...this.target.peerPublicKeys()]) this.target.removePeer(publicKey);
        return;
      case 'public_key':
        this.endBlock();
        this.block = this.startPeer(step.value);
        return;
      default:
        return this.applyToPeer(step);
    }
  }

  /** The request is over: a peer named by a last bare public_key line is made. */
  end(): void {
    this.endBlock();
    this.block = { kind: 'device' };
  }

  private startPeer(publicKey: Uint8Array): Block {
    const own = this.target.publicKey();
    // Both reference implementations silently skip a peer that is the device itself.
    if (own && equalBytes(own, publicKey)) return { kind: 'skipped' };
    return this.target.hasPeer(publicKey) ? { kind: 'peer', publicKey, made: false } : { kind: 'new-peer', publicKey };
  }

  private endBlock(): void {
    if (this.block.kind === 'new-peer') this.target.addPeer(this.block.publicKey);
  }

  private applyToPeer(step: UapiSetStep): void {
    const block = this.block;
    if (block.kind === 'skipped' || block.kind === 'device') return;
    if (step.key === 'update_only') {
      if (block.kind === 'peer' && block.made) this.target.removePeer(block.publicKey);
      if (block.kind === 'new-peer' || block.made) this.block = { kind: 'skipped' };
      return;
    }
    if (step.key === 'remove') {
      if (block.kind === 'peer') this.target.removePeer(block.publicKey);
      this.block = { kind: 'skipped' };
      return;
    }
    if (step.key === 'protocol_version') return;
    if (block.kind === 'new-peer') {
      this.target.addPeer(block.publicKey);
      this.block = { kind: 'peer', publicKey: block.publicKey, made: true };
    }
    applyPeerStep(this.target, block.publicKey, step);
  }
}

function applyPeerStep(target: UapiSetTarget, publicKey: Uint8Array, step: UapiSetStep): void {
  switch (step.key) {
    case 'preshared_key':
      return target.setPresharedKey(publicKey, isZeroKey(step.value) ? undefined : step.value);
    case 'endpoint':
      return target.setEndpoint(publicKey, step.value);
    case 'persistent_keepalive_interval':
      return target.setPersistentKeepaliveInterval(publicKey, step.value);
    case 'replace_allowed_ips':
      return target.clearAllowedIps(publicKey);
    case 'allowed_ip':
      if (step.value.remove) target.removeAllowedIp(publicKey, step.value.cidr);
      else target.addAllowedIp(publicKey, step.value.cidr);
      return;
    default:
      return;
  }
}

function applyPrivateKey(target: UapiSetTarget, key: Uint8Array): void {
  target.setPrivateKey(isZeroKey(key) ? undefined : key);
  // A device cannot be its own peer: a peer with the new identity goes.
  const own = target.publicKey();
  if (own && target.hasPeer(own)) target.removePeer(own);
}

/** The steps of a whole request, in the order they are applied: those that can fail first, so that a refused request changes nothing else. */
function* stepsOf(request: UapiSetRequest): Generator<UapiSetStep> {
  if (request.listenPort !== undefined) yield { key: 'listen_port', value: request.listenPort };
  if (request.fwmark !== undefined) yield { key: 'fwmark', value: request.fwmark };
  if (request.privateKey) yield { key: 'private_key', value: request.privateKey };
  if (request.replacePeers) yield { key: 'replace_peers' };
  for (const peer of request.peers) yield* peerSteps(peer);
}

function* peerSteps(peer: UapiPeerChange): Generator<UapiSetStep> {
  yield { key: 'public_key', value: peer.publicKey };
  if (peer.remove) {
    yield { key: 'remove' };
    return;
  }
  if (peer.updateOnly) yield { key: 'update_only' };
  if (peer.presharedKey) yield { key: 'preshared_key', value: peer.presharedKey };
  if (peer.endpoint) yield { key: 'endpoint', value: peer.endpoint };
  if (peer.persistentKeepaliveInterval !== undefined)
    yield { key: 'persistent_keepalive_interval', value: peer.persistentKeepaliveInterval };
  if (peer.replaceAllowedIps) yield { key: 'replace_allowed_ips' };
  for (const change of peer.allowedIps) yield { key: 'allowed_ip', value: change };
}

/** Applies a whole request, as the helper configures its own tunnels. */
export async function applySetRequest(request: UapiSetRequest, target: UapiSetTarget): Promise<void> {
  const applier = new UapiSetApplier(target);
  try {
    for (const step of stepsOf(request)) await applier.apply(step);
  } finally {
    applier.end();
  }
}
