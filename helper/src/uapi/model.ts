// What the wg(8) cross-platform control protocol reads and writes, independent of
// the text form: the engine implements UapiDevice, the control socket speaks text.
import type { Cidr, Endpoint } from '../net/ip.js';

export interface UapiAllowedIpChange {
  readonly cidr: Cidr;
  /** "allowed_ip=-CIDR": remove this network from the peer. */
  readonly remove: boolean;
}

export interface UapiPeerChange {
  readonly publicKey: Uint8Array;
  readonly remove: boolean;
  readonly updateOnly: boolean;
  /** All-zero key clears the preshared key. */
  readonly presharedKey?: Uint8Array;
  readonly endpoint?: Endpoint;
  /** Seconds; 0 turns it off. */
  readonly persistentKeepaliveInterval?: number;
  readonly replaceAllowedIps: boolean;
  readonly allowedIps: readonly UapiAllowedIpChange[];
}

/**
 * One line of a `set=1` request, parsed: the device's keys come first, then
 * each public_key starts a peer block that the peer keys after it belong to.
 */
export type UapiSetStep =
  | { readonly key: 'private_key'; readonly value: Uint8Array }
  | { readonly key: 'listen_port'; readonly value: number }
  | { readonly key: 'fwmark'; readonly value: number }
  | { readonly key: 'replace_peers' }
  | { readonly key: 'public_key'; readonly value: Uint8Array }
  | { readonly key: 'remove' }
  | { readonly key: 'update_only' }
  | { readonly key: 'preshared_key'; readonly value: Uint8Array }
  | { readonly key: 'endpoint'; readonly value: Endpoint }
  | { readonly key: 'persistent_keepalive_interval'; readonly value: number }
  | { readonly key: 'replace_allowed_ips' }
  | { readonly key: 'allowed_ip'; readonly value: UapiAllowedIpChange }
  | { readonly key: 'protocol_version' };

/** A set request in progress: each line is applied as it arrives, so that no request has to be held whole. */
export interface UapiSetSession {
  /** Throws UapiError for a step it cannot apply (e.g. EADDRINUSE for a taken port); the request stops there. */
  apply(step: UapiSetStep): void | Promise<void>;
  /** The request is over, whole or cut short by an error. */
  end(): void;
}

/** One `set=1` request as a whole, as the helper configures its tunnels; applied as a whole. */
export interface UapiSetRequest {
  /** All-zero key removes the private key. */
  readonly privateKey?: Uint8Array;
  readonly listenPort?: number;
  /** 0 removes the mark. */
  readonly fwmark?: number;
  readonly replacePeers: boolean;
  readonly peers: readonly UapiPeerChange[];
}

export interface UapiPeerState {
  readonly publicKey: Uint8Array;
  readonly presharedKey: Uint8Array | undefined;
  readonly endpoint: Endpoint | undefined;
  readonly persistentKeepaliveInterval: number;
  /** Wall-clock time of the latest completed handshake, or undefined for never. */
  readonly lastHandshake: { readonly sec: number; readonly nsec: number } | undefined;
  readonly rxBytes: bigint;
  readonly txBytes: bigint;
  readonly allowedIps: readonly Cidr[];
}

export interface UapiDeviceState {
  readonly privateKey: Uint8Array | undefined;
  readonly listenPort: number;
  readonly fwmark: number;
  /** Made as they are read, for a device that may have 100,000. */
  readonly peers: Iterable<UapiPeerState>;
}

/** An error the control socket reports as `errno=N`. */
export class UapiError extends Error {
  constructor(
    /** Positive, as in errno.ts (EINVAL is 22); the socket sends it negated, as wireguard-go does. */
    readonly errno: number,
    message: string,
  ) {
    super(message);
    this.name = 'UapiError';
  }
}

export interface UapiDevice {
  get(): UapiDeviceState;
  /** Starts applying a set request from the control socket, line by line. */
  beginSet(): UapiSetSession;
}
