// The Windows system calls the network side of the platform makes, as one
// interface: IP Helper (addresses, routes, interface entries, DNS) and the
// Windows Filtering Platform. koffi-network.ts implements it over iphlpapi.dll
// and fwpuclnt.dll; tests pass a binding that records the calls. Values are
// this project's own types (LUIDs as bigint), never raw structs.
import type { Cidr, IpAddress, IpFamily } from '../../net/ip.js';

export interface Win32Route {
  readonly luid: bigint;
  readonly destination: Cidr;
  /** Undefined: on-link (the tunnel); else a gateway on the interface. */
  readonly nextHop?: IpAddress;
  readonly metric: number;
}

export interface BestRoute {
  readonly luid: bigint;
  /** Undefined when the destination is on-link. */
  readonly nextHop?: IpAddress;
}

/** What route selection needs of an interface: GetIpInterfaceEntry's Metric and Connected. */
export interface InterfaceRouting {
  /** Added to a route's own metric to rank it. */
  readonly metric: number;
  readonly connected: boolean;
}

export interface InterfaceSettings {
  readonly mtu?: number;
  /** Sets the metric and turns the automatic metric off. */
  readonly metric?: number;
}

/** A WFP filter as data; the binding turns it into FWPM_FILTER0 and its conditions. */
export interface WfpFilter {
  readonly name: string;
  readonly layer: 'connect-v4' | 'connect-v6' | 'accept-v4' | 'accept-v6';
  readonly action: 'permit' | 'block';
  /** 0..15 within Wirefly's sublayer: higher wins. */
  readonly weight: number;
  readonly conditions: readonly WfpCondition[];
}

export type WfpCondition =
  | { readonly field: 'interface'; readonly luid: bigint }
  | { readonly field: 'loopback' }
  | { readonly field: 'protocol'; readonly protocol: 'udp' | 'tcp' | 'icmpv6' }
  | { readonly field: 'remote-address'; readonly address: Cidr }
  | { readonly field: 'remote-port'; readonly port: number }
  | { readonly field: 'local-port'; readonly port: number }
  | { readonly field: 'icmp-type'; readonly type: number };

/** A dynamic WFP session: everything added through it goes when it closes, or when the process dies. */
export interface FirewallSession {
  /** Adds Wirefly's provider and sublayer (keys below) and the filters, in one transaction. */
  add(filters: readonly WfpFilter[]): void;
  /** Deletes the filters this session added and adds these, in one transaction: no packet meets neither set. */
  replace(filters: readonly WfpFilter[]): void;
  close(): void;
}

/** Keys of Wirefly's WFP provider and sublayer, fixed so that recovery finds them. */
export const WFP_PROVIDER_KEY = '{5E2A4F6B-9C1D-4B7E-8A3F-2D6C1E9B0A47}';
export const WFP_SUBLAYER_KEY = '{8B3D1C7A-2E4F-4A6B-9D0C-7F1E3A5B2C68}';

export interface Win32NetworkApi {
  /** ConvertInterfaceAliasToLuid. */
  interfaceLuid(alias: string): bigint;
  /** CreateUnicastIpAddressEntry. */
  addAddress(luid: bigint, address: Cidr): void;
  /** DeleteUnicastIpAddressEntry; an absent address is no error. */
  deleteAddress(luid: bigint, address: Cidr): void;
  /** CreateIpForwardEntry2. */
  addRoute(route: Win32Route): void;
  /** DeleteIpForwardEntry2; an absent route is no error. */
  deleteRoute(route: Win32Route): void;
  /** GetBestRoute2: where the system would send packets to `destination` now. */
  bestRoute(destination: IpAddress): BestRoute | undefined;
  /** GetIpForwardTable2: every route of one family, with its own metric. */
  forwardTable(family: IpFamily): Win32Route[];
  /** GetIpInterfaceEntry; undefined for an interface that is gone. */
  interfaceRouting(luid: bigint, family: IpFamily): InterfaceRouting | undefined;
  /**
   * NotifyRouteChange2 for both families: calls `changed` on the event loop
   * after routes change, until the returned function is called; it resolves
   * once CancelMibChangeNotify2 has returned and no call can come any more.
   */
  watchRoutes(changed: () => void): () => Promise<void>;
  /** GetIpInterfaceEntry's NlMtu. */
  interfaceMtu(luid: bigint, family: IpFamily): number;
  /** SetIpInterfaceEntry. */
  setInterface(luid: bigint, family: IpFamily, settings: InterfaceSettings): void;
  /** SetInterfaceDnsSettings: the servers of one family and the search list. */
  setDns(luid: bigint, family: IpFamily, servers: readonly IpAddress[], searchDomains: readonly string[]): void;
  /** SetInterfaceDnsSettings with empty lists; an absent interface is no error. */
  clearDns(luid: bigint, family: IpFamily): void;
  /** FwpmEngineOpen0 with FWPM_SESSION_FLAG_DYNAMIC. */
  openFirewall(): FirewallSession;
  /** Removes Wirefly's sublayer and provider (and so their filters) left by a session that was not dynamic; absent is no error. */
  deleteFirewallObjects(): void;
}
