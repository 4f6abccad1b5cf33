// What a set request means, step by step, as wireguard-go and the Linux module
// apply it; the device behind the control socket only implements the steps.
import { equalBytes, type Cidr, type Endpoint } from '../net/ip.js';
import type { UapiPeerChange, UapiSetRequest } from './model.js';
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

/**
 * Applies a parsed set request. The steps that can fail (binding the port,
 * setting the mark) come first, so that a refused request changes nothing else.
 */
export async function applySetRequest(request: UapiSetRequest, target: UapiSetTarget): Promise<void> {
  if (request.listenPort !== undefined) await target.setListenPort(request.listenPort);
  if (request.fwmark !== undefined) await target.setFwmark(request.fwmark);
  if (request.privateKey) applyPrivateKey(target, request.privateKey);
  if (request.replacePeers) {
    for (const publicKey of [...target.peerPublicKeys()]) target.removePeer(publicKey);
  }
  for (const change of request.peers) applyPeerChange(target, change);
}

function applyPrivateKey(target: UapiSetTarget, key: Uint8Array): void {
  target.setPrivateKey(isZeroKey(key) ? undefined : key);
  // A device cannot be its own peer: a peer with the new identity goes.
  const own = target.publicKey();
  if (own && target.hasPeer(own)) target.removePeer(own);
}

function applyPeerChange(target: UapiSetTarget, change: UapiPeerChange): void {
  const { publicKey } = change;
  const own = target.publicKey();
  // Both reference implementations silently skip a peer that is the device itself.
  if (own && equalBytes(own, publicKey)) return;
  if (change.remove) {
    if (target.hasPeer(publicKey)) target.removePeer(publicKey);
    return;
  }
  if (!target.hasPeer(publicKey)) {
    if (change.updateOnly) return;
    target.addPeer(publicKey);
  }
  if (change.presharedKey) {
    target.setPresharedKey(publicKey, isZeroKey(change.presharedKey) ? undefined : change.presharedKey);
  }
  if (change.endpoint) target.setEndpoint(publicKey, change.endpoint);
  if (change.persistentKeepaliveInterval !== undefined) {
    target.setPersistentKeepaliveInterval(publicKey, change.persistentKeepaliveInterval);
  }
  if (change.replaceAllowedIps) target.clearAllowedIps(publicKey);
  for (const { cidr, remove } of change.allowedIps) {
    if (remove) target.removeAllowedIp(publicKey, cidr);
    else target.addAllowedIp(publicKey, cidr);
  }
}
