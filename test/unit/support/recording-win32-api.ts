// A Win32NetworkApi that records every call as a line of text and keeps the
// state those calls would leave (addresses, routes, DNS, filters), so that
// tests see what the Windows network code asks of IP Helper and WFP, and that
// undo leaves nothing behind. It can be told to fail a call.
import { formatCidr, formatIpAddress, parseIpAddress, type Cidr, type IpAddress } from '../../../helper/src/net/ip.js';
import type { BestRoute, WfpFilter, Win32NetworkApi, Win32Route } from '../../../helper/src/os/win32/api.js';

function routeText(route: Win32Route): string {
  return `${route.luid} ${formatCidr(route.destination)} via ${route.nextHop ? formatIpAddress(route.nextHop) : 'on-link'} metric ${route.metric}`;
}

export class RecordingWin32Api implements Win32NetworkApi {
  readonly calls: string[] = [];
  readonly addresses = new Set<string>();
  readonly routes = new Set<string>();
  readonly dns = new Map<string, string>();
  filters: WfpFilter[] = [];
  firewallOpen = false;
  /** A call whose text starts with this throws. */
  failOn: string | undefined;

  constructor(
    readonly interfaces: ReadonlyMap<string, bigint>,
    /** Where the "physical" network routes each address to: [luid, gateway or undefined]. */
    private readonly uplink: { luid: bigint; gateway?: string; mtu: number },
  ) {}

  private record(text: string): void {
    if (this.failOn !== undefined && text.startsWith(this.failOn)) throw new Error(`recorded failure: ${text}`);
    this.calls.push(text);
  }

  interfaceLuid(alias: string): bigint {
    this.record(`interfaceLuid ${alias}`);
    const luid = this.interfaces.get(alias);
    if (luid === undefined) throw new Error(`no interface ${alias}`);
    return luid;
  }

  addAddress(luid: bigint, address: Cidr): void {
    this.record(`addAddress ${luid} ${formatCidr(address)}`);
    this.addresses.add(`${luid} ${formatCidr(address)}`);
  }

  deleteAddress(luid: bigint, address: Cidr): void {
    this.record(`deleteAddress ${luid} ${formatCidr(address)}`);
    this.addresses.delete(`${luid} ${formatCidr(address)}`);
  }

  addRoute(route: Win32Route): void {
    this.record(`addRoute ${routeText(route)}`);
    this.routes.add(routeText(route));
  }

  deleteRoute(route: Win32Route): void {
    this.record(`deleteRoute ${routeText(route)}`);
    this.routes.delete(routeText(route));
  }

  bestRoute(destination: IpAddress): BestRoute | undefined {
    this.record(`bestRoute ${formatIpAddress(destination)}`);
    const gateway = this.uplink.gateway === undefined ? undefined : parseIpAddress(this.uplink.gateway);
    return {
      luid: this.uplink.luid,
      ...(gateway && gateway.family === destination.family ? { nextHop: gateway } : {}),
    };
  }

  interfaceMtu(luid: bigint, family: 4 | 6): number {
    this.record(`interfaceMtu ${luid} v${family}`);
    return this.uplink.mtu;
  }

  setInterface(luid: bigint, family: 4 | 6, settings: { mtu?: number; metric?: number }): void {
    this.record(`setInterface ${luid} v${family} mtu ${settings.mtu ?? '-'} metric ${settings.metric ?? '-'}`);
  }

  setDns(luid: bigint, family: 4 | 6, servers: readonly IpAddress[], searchDomains: readonly string[]): void {
    const text = `${servers.map(formatIpAddress).join(',')} search ${searchDomains.join(',') || '-'}`;
    this.record(`setDns ${luid} v${family} ${text}`);
    this.dns.set(`${luid} v${family}`, text);
  }

  clearDns(luid: bigint, family: 4 | 6): void {
    this.record(`clearDns ${luid} v${family}`);
    this.dns.delete(`${luid} v${family}`);
  }

  openFirewall() {
    this.record('openFirewall');
    this.firewallOpen = true;
    return {
      add: (filters: readonly WfpFilter[]) => {
        this.record(`addFilters ${filters.length}`);
        this.filters = [...filters];
      },
      close: () => {
        this.record('closeFirewall');
        this.firewallOpen = false;
        this.filters = [];
      },
    };
  }

  deleteFirewallObjects(): void {
    this.record('deleteFirewallObjects');
    this.filters = [];
  }
}
