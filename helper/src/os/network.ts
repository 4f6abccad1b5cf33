// What bringing a tunnel up changes in the system, planned from its config
// without touching anything (pure), and the interface through which each
// platform carries a plan out (platform.ts picks the implementation).
import type { RoutingTable, WgQuickConfig } from '../config/model.js';
import { isInterfaceName } from '../config/interface-name.js';
import {
  cidrContains,
  formatCidr,
  maskCidr,
  sameEndpoint,
  sameIpAddress,
  type Cidr,
  type Endpoint,
  type IpAddress,
  type IpFamily,
} from '../net/ip.js';

/** One change set of the journal (service/journal.ts ChangeSet fits); steps are the platform's own records. */
export interface UndoLog<Step extends object = object> {
  record(step: Step): Promise<void>;
  /** Drops a recorded step (the same object) whose change the caller has taken back itself. */
  retire(step: Step): Promise<void>;
  undo(): Promise<void>;
}

/** Where change sets come from (service/journal.ts Journal fits). */
export interface UndoJournal {
  begin(label: string): Promise<UndoLog>;
}

/** Performs one journaled undo step read back from disk; validates it first, and must accept a step never carried out. */
export type UndoPerformer = (step: unknown) => Promise<void>;

export interface NetworkContext {
  readonly journal: UndoJournal;
  /**
   * Marks the engine's own packets (wg's fwmark) before any route could send
   * them into the tunnel itself; Linux needs it for a full tunnel.
   */
  readonly setFwmark?: (mark: number) => Promise<void>;
  /**
   * The engine's UDP port. A kill switch without Linux's mark lets what the
   * engine sends from it and receives on it pass, whatever the peer's address,
   * so that a peer that roams is heard where it went.
   */
  readonly engineListenPort?: number;
}

export interface AppliedTunnelNetwork {
  readonly mtu: number;
  /** The mark (and table) of Linux's full-tunnel policy routing, if any. */
  readonly fwmark?: number;
  /** Takes back exactly what was applied, newest change first. */
  undo(): Promise<void>;
  /**
   * The peers' endpoints changed while the tunnel is up (a host name resolved
   * to another address): what was set up around the old ones (host routes, a
   * kill switch's rules) follows. Absent where nothing depends on them.
   */
  updateEndpoints?(endpoints: readonly Endpoint[]): Promise<void>;
  /** The engine's UDP moved to another port (NetworkContext.engineListenPort): a kill switch that names it follows. */
  updateEngineListenPort?(port: number): Promise<void>;
}

/** One platform's way of carrying a plan out. */
export interface NetworkApplier {
  /** Every change journaled before it is made; if one fails, what was done so far is undone. */
  apply(plan: TunnelNetworkPlan, context: NetworkContext): Promise<AppliedTunnelNetwork>;
  /** The journal's performer for this platform's steps: recovery after a crash runs them. */
  undoPerformer(): UndoPerformer;
}

/** A route through the tunnel interface. */
export interface PlannedRoute {
  readonly destination: Cidr;
  readonly table: 'main' | number;
}

export interface PlannedDns {
  readonly servers: readonly IpAddress[];
  readonly searchDomains: readonly string[];
}

export interface TunnelNetworkPlan {
  readonly ifname: string;
  readonly addresses: readonly Cidr[];
  /** A number from the config, or 'auto': the smallest MTU on the way to the endpoints, minus 80. */
  readonly mtu: number | 'auto';
  readonly table: RoutingTable;
  /** Ordinary routes, most specific first; /0 routes under Table = auto are in fullTunnel instead. */
  readonly routes: readonly PlannedRoute[];
  /**
   * Allowed networks left out of `routes` because an interface address's own
   * network holds them: Linux and Windows route that network to the interface
   * when the address is set; a point-to-point utun does not, so macOS routes these too.
   */
  readonly routesInAddressNetworks: readonly PlannedRoute[];
  /** Families whose default route goes through the tunnel by fwmark policy routing (Table = auto and a /0). */
  readonly fullTunnel: readonly IpFamily[];
  /** The config's FwMark; without one the executor picks a free table number as wg-quick does. */
  readonly fwmark?: number;
  /** Where the peers are, numeric (host names resolved by the caller). */
  readonly endpoints: readonly Endpoint[];
  readonly dns: PlannedDns;
  /** Block traffic that does not go through the tunnel (wireguard-windows' "block untunneled traffic"). */
  readonly killSwitch: boolean;
  /** The kill switch lets the local networks through. */
  readonly allowLan: boolean;
}

export interface PlanOptions {
  readonly ifname: string;
  /** Defaults to on when all traffic of a family is routed into the tunnel. */
  readonly killSwitch?: boolean;
  /** "Allow LAN": the kill switch lets private, link-local and multicast ranges through. */
  readonly allowLan?: boolean;
  /** Addresses of the endpoints written as host names, resolved by the caller. */
  readonly resolvedHosts?: ReadonlyMap<string, readonly IpAddress[]>;
}

export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

export function planTunnelNetwork(config: WgQuickConfig, options: PlanOptions): TunnelNetworkPlan {
  if (!isInterfaceName(options.ifname)) throw new PlanError(`"${options.ifname}" is not a valid interface name`);
  const iface = config.interface;
  const table = iface.table ?? 'auto';
  const allowed = uniqueNetworks(config.peers.flatMap((peer) => peer.allowedIps.map(maskCidr)));
  const fullTunnel = table === 'auto' ? families(allowed.filter(isDefaultRoute)) : [];
  const candidates = table === 'off' ? [] : plannedRoutes(allowed, table);
  // The kernel already routes an address's own network to the interface (in main).
  const inAddressNetwork = (route: PlannedRoute) =>
    route.table === 'main' && iface.addresses.some((address) => cidrContains(address, route.destination));
  const routes = candidates.filter((route) => !inAddressNetwork(route));
  const routesEverything = fullTunnel.length > 0 || routes.some((route) => isDefaultRoute(route.destination));
  return {
    ifname: options.ifname,
    addresses: iface.addresses,
    mtu: iface.mtu ?? 'auto',
    table,
    routes,
    routesInAddressNetworks: candidates.filter(inAddressNetwork),
    fullTunnel,
    ...(iface.fwMark ? { fwmark: iface.fwMark } : {}),
    endpoints: plannedEndpoints(config, options.resolvedHosts),
    dns: { servers: uniqueAddresses(iface.dns), searchDomains: [...new Set(iface.dnsSearch)] },
    killSwitch: options.killSwitch ?? routesEverything,
    allowLan: options.allowLan ?? false,
  };
}

function plannedRoutes(allowed: readonly Cidr[], table: Exclude<RoutingTable, 'off'>): PlannedRoute[] {
  const target = table === 'auto' ? 'main' : table;
  return allowed
    .filter((network) => !(table === 'auto' && isDefaultRoute(network)))
    .sort((a, b) => b.prefix - a.prefix)
    .map((destination) => ({ destination, table: target }));
}

function plannedEndpoints(config: WgQuickConfig, resolvedHosts: PlanOptions['resolvedHosts']): Endpoint[] {
  const endpoints: Endpoint[] = [];
  for (const peer of config.peers) {
    const endpoint = peer.endpoint;
    if (endpoint === undefined) continue;
    if (endpoint.kind === 'address') {
      endpoints.push(endpoint.address);
      continue;
    }
    const addresses = resolvedHosts?.get(endpoint.host);
    if (!addresses || addresses.length === 0) {
      throw new PlanError(`endpoint host "${endpoint.host}" has not been resolved`);
    }
    for (const address of addresses) endpoints.push({ ...address, port: endpoint.port });
  }
  return endpoints.filter((endpoint, i) => endpoints.findIndex((other) => sameEndpoint(other, endpoint)) === i);
}

export function isDefaultRoute(network: Cidr): boolean {
  return network.prefix === 0;
}

function families(networks: readonly Cidr[]): IpFamily[] {
  return ([4, 6] as const).filter((family) => networks.some((network) => network.family === family));
}

function uniqueNetworks(networks: readonly Cidr[]): Cidr[] {
  const seen = new Set<string>();
  return networks.filter((network) => {
    const key = formatCidr(network);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function uniqueAddresses(addresses: readonly IpAddress[]): IpAddress[] {
  return addresses.filter((address, i) => addresses.findIndex((other) => sameIpAddress(other, address)) === i);
}
