// The typed form of a wg-quick configuration file. Keys are raw 32-byte arrays
// (keyToBase64 gives the text form); networks are Cidr with host bits exactly as
// written (lint reports them, maskCidr normalises them); numbers are numbers.
import type { Cidr, Endpoint, IpAddress } from '../net/ip.js';

/** Where wg-quick puts routes: `off`, `auto` (the default), `main`, or a table number. */
export type RoutingTable = 'off' | 'auto' | 'main' | number;

export interface InterfaceConfig {
  readonly privateKey?: Uint8Array;
  readonly listenPort?: number;
  /** `FwMark = off` is 0. */
  readonly fwMark?: number;
  /** Interface addresses; a bare address is a /32 or /128 as `ip address add` reads it. */
  readonly addresses: readonly Cidr[];
  /** DNS entries that are IP addresses: the resolvers. */
  readonly dns: readonly IpAddress[];
  /** DNS entries that are names: the search domains. */
  readonly dnsSearch: readonly string[];
  readonly mtu?: number;
  readonly table?: RoutingTable;
  readonly preUp: readonly string[];
  readonly postUp: readonly string[];
  readonly preDown: readonly string[];
  readonly postDown: readonly string[];
  readonly saveConfig: boolean;
}

/** A peer endpoint as written: a numeric address, or a host name resolved when the tunnel comes up. */
export type PeerEndpoint =
  | { readonly kind: 'address'; readonly address: Endpoint }
  | { readonly kind: 'hostname'; readonly host: string; readonly port: number };

export interface PeerConfig {
  readonly publicKey: Uint8Array;
  readonly presharedKey?: Uint8Array;
  readonly allowedIps: readonly Cidr[];
  readonly endpoint?: PeerEndpoint;
  /** Seconds; `off` is 0. */
  readonly persistentKeepalive?: number;
}

export interface WgQuickConfig {
  readonly interface: InterfaceConfig;
  readonly peers: readonly PeerConfig[];
}

/** Where each part of a parsed config was written, for diagnostics about the model (1-based lines and columns). */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

export interface SectionLocations {
  /** The section header. */
  readonly header: SourcePosition;
  /** The first line of each key, by canonical key name. */
  readonly keys: Readonly<Record<string, SourcePosition>>;
}

export interface PeerLocations extends SectionLocations {
  /** One position per entry of PeerConfig.allowedIps, in order. */
  readonly allowedIps: readonly SourcePosition[];
}

export interface ConfigLocations {
  readonly interface: SectionLocations;
  readonly peers: readonly PeerLocations[];
}
