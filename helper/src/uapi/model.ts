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

/** One parsed `set=1` request; applied as a whole. */
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
  readonly peers: readonly UapiPeerState[];
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
  /** Throws UapiError for requests it cannot apply (e.g. EADDRINUSE for a taken port). */
  set(request: UapiSetRequest): Promise<void>;
}
