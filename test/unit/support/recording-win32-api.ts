// A Win32NetworkApi that records every call as a line of text and keeps the
// state those calls would leave (addresses, routes, DNS, filters), so that
// tests see what the Windows network code asks of IP Helper and WFP, and that
// undo leaves nothing behind. It can be told to fail a call. Its routing table
// is each uplink's default route (through its gateway, or on-link) and the
// routes added; a test changes the uplinks and announces it with changeRoutes().
import {
  cidrContainsAddress,
  formatCidr,
  formatIpAddress,
  parseCidr,
  parseIpAddress,
  type Cidr,
  type IpAddress,
  type IpFamily,
} from '../../../helper/src/net/ip.js';
import type {
  BestRoute,
  InterfaceRouting,
  WfpFilter,
  Win32NetworkApi,
  Win32Route,
} from '../../../helper/src/os/win32/api.js';

export interface RecordedUplink {
  readonly luid: bigint;
  readonly gateway?: string;
  readonly mtu: number;
  /** The interface metric; 25 unless given. */
  readonly metric?: number;
  /** Connected unless false. */
  readonly connected?: boolean;
}

const DEFAULT_ROUTES: Readonly<Record<IpFamily, Cidr>> = { 4: parseCidr('0.0.0.0/0')!, 6: parseCidr('::/0')! };

function routeText(route: Win32Route): string {
  return `${route.luid} ${formatCidr(route.destination)} via ${route.nextHop ? formatIpAddress(route.nextHop) : 'on-link'} metric ${route.metric}`;
}

export class RecordingWin32Api implements Win32NetworkApi {
  readonly calls: string[] = [];
  readonly addresses = new Set<string>();
  readonly routes = new Set<string>();
  private readonly added = new Map<string, Win32Route>();
  /** The first is where GetBestRoute2 leads (bring-up); all are in the routing table. */
  uplinks: RecordedUplink[];
  private readonly watchers = new Set<() => void>();
  readonly dns = new Map<string, string>();
  /** The filters of each open WFP session. */
  private readonly sessions = new Set<WfpFilter[]>();
  /** A call whose text starts with this throws. */
  failOn: string | undefined;

  constructor(
    readonly interfaces: ReadonlyMap<string, bigint>,
    /** Where the "physical" network routes each address to. */
    uplink: RecordedUplink,
  ) {
    this.uplinks = [uplink];
  }

  get filters(): WfpFilter[] {
    return [...this.sessions].flat();
  }

  get firewallSessions(): number {
    return this.sessions.size;
  }

  get firewallOpen(): boolean {
    return this.sessions.size > 0;
  }

  get watchingRoutes(): number {
    return this.watchers.size;
  }

  /** What NotifyRouteChange2 would report after the table changed. */
  changeRoutes(): void {
    for (const changed of [...this.watchers]) changed();
  }

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
    this.added.set(routeText(route), route);
  }

  deleteRoute(route: Win32Route): void {
    this.record(`deleteRoute ${routeText(route)}`);
    this.routes.delete(routeText(route));
    this.added.delete(routeText(route));
  }

  /** The longest added route that holds `destination`, else the first uplink. */
  bestRoute(destination: IpAddress): BestRoute | undefined {
    this.record(`bestRoute ${formatIpAddress(destination)}`);
    const added = [...this.added.values()]
      .filter((route) => cidrContainsAddress(route.destination, destination))
      .sort((a, b) => b.destination.prefix - a.destination.prefix)[0];
    if (added) return { luid: added.luid, ...(added.nextHop ? { nextHop: added.nextHop } : {}) };
    const uplink = this.uplinks[0]!;
    const gateway = this.gatewayOf(uplink, destination.family);
    return { luid: uplink.luid, ...(gateway ? { nextHop: gateway } : {}) };
  }

  private gatewayOf(uplink: RecordedUplink, family: IpFamily): IpAddress | undefined {
    const gateway = uplink.gateway === undefined ? undefined : parseIpAddress(uplink.gateway);
    return gateway?.family === family ? gateway : undefined;
  }

  forwardTable(family: IpFamily): Win32Route[] {
    this.record(`forwardTable v${family}`);
    const defaults = this.uplinks.map((uplink): Win32Route => {
      const gateway = this.gatewayOf(uplink, family);
      return {
        luid: uplink.luid,
        destination: DEFAULT_ROUTES[family],
        ...(gateway ? { nextHop: gateway } : {}),
        metric: 0,
      };
    });
    return [...defaults, ...[...this.added.values()].filter((route) => route.destination.family === family)];
  }

  interfaceRouting(luid: bigint, family: IpFamily): InterfaceRouting | undefined {
    this.record(`interfaceRouting ${luid} v${family}`);
    if ([...this.interfaces.values()].includes(luid)) return { metric: 0, connected: true };
    const uplink = this.uplinks.find((candidate) => candidate.luid === luid);
    return uplink && { metric: uplink.metric ?? 25, connected: uplink.connected ?? true };
  }

  watchRoutes(changed: () => void): () => Promise<void> {
    this.record('watchRoutes');
    const watcher = () => changed();
    this.watchers.add(watcher);
    return async () => {
      this.record('unwatchRoutes');
      this.watchers.delete(watcher);
    };
  }

  interfaceMtu(luid: bigint, family: 4 | 6): number {
    this.record(`interfaceMtu ${luid} v${family}`);
    const uplink = this.uplinks.find((candidate) => candidate.luid === luid);
    if (!uplink) throw new Error(`interfaceMtu of ${luid}, which is no uplink`);
    return uplink.mtu;
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
    const session: WfpFilter[] = [];
    this.sessions.add(session);
    return {
      add: (filters: readonly WfpFilter[]) => {
        this.record(`addFilters ${filters.length}`);
        session.push(...filters);
      },
      replace: (filters: readonly WfpFilter[]) => {
        this.record(`replaceFilters ${filters.length}`);
        session.splice(0, session.length, ...filters);
      },
      close: () => {
        this.record('closeFirewall');
        this.sessions.delete(session);
      },
    };
  }

  deleteFirewallObjects(): void {
    this.record('deleteFirewallObjects');
    this.sessions.clear();
  }
}
