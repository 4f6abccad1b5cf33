// Brings a planned tunnel's networking up on Windows, as WireGuard for Windows
// does: the kill switch first (so that nothing leaks while the rest comes up),
// the interface's MTU and metric, its addresses, a host route for each
// endpoint through the way it is reached now (so that the tunnel's own packets
// stay off the tunnel), the routes into the tunnel (a default route split into
// two halves, which win over the existing default route without replacing it),
// and DNS on the interface. Each change is journaled before it is made; if one
// fails, what was done so far is undone. The adapter's own settings (MTU,
// metric) go with the adapter when the tunnel closes. While the tunnel is up,
// the endpoints' host routes follow changes of the routing table
// (endpoint-routes.ts), as WireGuard for Windows rebinds to a new uplink, and
// an automatic MTU is set again from the uplink they now go through.
import { cidrContainsAddress, parseCidr, type Cidr, type Endpoint, type IpFamily } from '../../net/ip.js';
import type { AppliedTunnelNetwork, NetworkContext, TunnelNetworkPlan } from '../network.js';
import { RouteFollower } from '../route-follower.js';
import type { FirewallSession, Win32NetworkApi, Win32Route } from './api.js';
import { EndpointRoutes } from './endpoint-routes.js';
import { killSwitchFilters } from './firewall.js';
import { deleteAddressStep, deleteRouteStep, type Win32UndoStep } from './undo-steps.js';

/** WireGuard's overhead on an IPv6 path: what 'auto' takes off the outer MTU. */
const OVERHEAD = 80;
const DEFAULT_MTU = 1420;
const TUNNEL_METRIC = 0;

const HALVES: Readonly<Record<IpFamily, readonly Cidr[]>> = {
  4: [parseCidr('0.0.0.0/1')!, parseCidr('128.0.0.0/1')!],
  6: [parseCidr('::/1')!, parseCidr('8000::/1')!],
};

export class Win32PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Win32PlanError';
  }
}

/** The tunnel's routes: the plan's, and each full-tunnel family's default route as two halves. */
export function tunnelDestinations(plan: TunnelNetworkPlan): Cidr[] {
  for (const route of plan.routes) {
    if (route.table !== 'main') {
      throw new Win32PlanError(`Table = ${route.table}: Windows has one routing table (use Table = auto or off)`);
    }
  }
  return [...plan.fullTunnel.flatMap((family) => HALVES[family]), ...plan.routes.map((route) => route.destination)];
}

function autoMtu(api: Win32NetworkApi, endpoints: readonly Endpoint[]): number {
  let smallest = Infinity;
  for (const endpoint of endpoints) {
    const best = api.bestRoute(endpoint);
    if (best) smallest = Math.min(smallest, api.interfaceMtu(best.luid, endpoint.family) - OVERHEAD);
  }
  return Number.isFinite(smallest) ? smallest : DEFAULT_MTU;
}

function families(plan: TunnelNetworkPlan, destinations: readonly Cidr[]): IpFamily[] {
  return ([4, 6] as const).filter(
    (family) => plan.addresses.some((a) => a.family === family) || destinations.some((d) => d.family === family),
  );
}

export interface Win32ApplyOptions {
  /** The least time between two runs after changes of the routing table (os/route-follower.ts). */
  readonly followIntervalMs?: number;
}

export async function applyWin32TunnelNetwork(
  api: Win32NetworkApi,
  plan: TunnelNetworkPlan,
  context: NetworkContext,
  options: Win32ApplyOptions = {},
): Promise<AppliedTunnelNetwork> {
  const destinations = tunnelDestinations(plan);
  const log = await context.journal.begin(plan.ifname);
  const journaled = async (step: Win32UndoStep, change: () => void) => {
    await log.record(step);
    change();
  };
  let firewall: FirewallSession | undefined;
  let follower: RouteFollower | undefined;
  const undo = async () => {
    // Before any route goes, so that no refresh puts one back; a notification
    // that would not cancel is no reason to leave the routes, so it is told last.
    let stopFailure: unknown;
    await follower?.stop().catch((error: unknown) => (stopFailure = error));
    firewall?.close();
    firewall = undefined;
    await log.undo();
    if (stopFailure !== undefined) throw stopFailure;
  };
  try {
    const luid = api.interfaceLuid(plan.ifname);
    let endpoints = plan.endpoints;
    let enginePort = context.engineListenPort;
    const killSwitch = () =>
      killSwitchFilters({
        luid,
        endpoints,
        dnsServers: plan.dns.servers,
        ...(enginePort === undefined ? {} : { enginePort }),
      });
    if (plan.killSwitch) {
      await journaled({ op: 'win32-delete-firewall' }, () => {
        firewall = api.openFirewall();
        firewall.add(killSwitch());
      });
    }
    let mtu = plan.mtu === 'auto' ? autoMtu(api, endpoints) : plan.mtu;
    const setMtu = (next: number) => {
      for (const family of families(plan, destinations))
        api.setInterface(luid, family, { mtu: next, metric: TUNNEL_METRIC });
      mtu = next;
    };
    setMtu(mtu);
    for (const address of plan.addresses) {
      await journaled(deleteAddressStep(luid, address), () => api.addAddress(luid, address));
    }
    const routed = (all: readonly Endpoint[]) =>
      all.filter((endpoint) => destinations.some((network) => cidrContainsAddress(network, endpoint)));
    const endpointRoutes = new EndpointRoutes(api, log, luid, routed(endpoints), TUNNEL_METRIC);
    await endpointRoutes.add();
    for (const destination of destinations) {
      const route: Win32Route = { luid, destination, metric: TUNNEL_METRIC };
      await journaled(deleteRouteStep(route), () => api.addRoute(route));
    }
    for (const family of [4, 6] as const) {
      const servers = plan.dns.servers.filter((server) => server.family === family);
      if (servers.length === 0) continue;
      await journaled({ op: 'win32-clear-dns', luid: String(luid), family }, () =>
        api.setDns(luid, family, servers, plan.dns.searchDomains),
      );
    }
    // After the endpoints' routes, so that an automatic MTU is the new uplink's, as WireGuard for Windows has it.
    const followMtu = async () => {
      const next = autoMtu(api, endpoints);
      if (next !== mtu) setMtu(next);
    };
    const refreshers = [() => endpointRoutes.follow(), ...(plan.mtu === 'auto' ? [followMtu] : [])];
    // Nothing to follow until an endpoint needs a way around the tunnel or the MTU is automatic.
    const startFollowing = () => {
      if (follower || (endpointRoutes.endpointCount === 0 && plan.mtu !== 'auto')) return;
      follower = new RouteFollower((changed) => api.watchRoutes(changed), refreshers, options.followIntervalMs);
    };
    startFollowing();
    const updateEndpoints = async (next: readonly Endpoint[]) => {
      endpoints = next;
      firewall?.replace(killSwitch());
      endpointRoutes.setEndpoints(routed(next));
      startFollowing();
      await follower?.refresh();
    };
    const updateEngineListenPort = async (port: number) => {
      enginePort = port;
      firewall?.replace(killSwitch());
    };
    return { mtu, undo, updateEndpoints, ...(plan.killSwitch ? { updateEngineListenPort } : {}) };
  } catch (error) {
    try {
      await undo();
    } catch (undoError) {
      throw new AggregateError([error, undoError], `bringing up ${plan.ifname} failed, and so did undoing it`);
    }
    throw error;
  }
}
