// Brings a planned tunnel's networking up on macOS, in wg-quick's order:
// addresses, MTU and up, routes, the endpoints' host routes, DNS, then the kill
// switch. Each change is journaled before it is made; if one fails, what was
// done so far is undone. While the tunnel is up, a change of the routing table
// moves the endpoints' host routes to the new gateway, gives the tunnel's DNS
// to services that appeared, and sets an automatic MTU again.
import { PlanError, type AppliedTunnelNetwork, type NetworkContext, type TunnelNetworkPlan } from '../network.js';
import { RouteFollower } from '../route-follower.js';
import type { DarwinBinding } from './binding.js';
import { ServiceDns } from './dns.js';
import { EndpointRoutes } from './endpoint-routes.js';
import { addAddresses, setMtu, setMtuAndUp } from './ifconfig.js';
import { autoMtu } from './mtu.js';
import { addKillSwitch, reloadKillSwitch } from './pf.js';
import { addressSpaceHalves, addRoutes } from './routes.js';
import { isUtunName, type JournaledSystem } from './undo-steps.js';
import type { Cidr, Endpoint } from '../../net/ip.js';

/** The routes a plan asks for on macOS, most specific first, the full tunnel's halves last. */
export function darwinRoutes(plan: TunnelNetworkPlan): Cidr[] {
  if (plan.table !== 'auto' && plan.table !== 'main' && plan.table !== 'off') {
    throw new PlanError(`macOS has a single routing table: Table must be auto, main or off, not ${plan.table}`);
  }
  const routes = [...plan.routes, ...plan.routesInAddressNetworks]
    .map((route) => route.destination)
    .sort((a, b) => b.prefix - a.prefix);
  return [...routes, ...plan.fullTunnel.flatMap(addressSpaceHalves)];
}

export interface DarwinApplyOptions {
  /** The least time between two runs after changes of the routing table (os/route-follower.ts). */
  readonly followIntervalMs?: number;
}

export async function applyDarwinTunnelNetwork(
  plan: TunnelNetworkPlan,
  context: NetworkContext,
  binding: DarwinBinding,
  options: DarwinApplyOptions = {},
): Promise<AppliedTunnelNetwork> {
  if (!isUtunName(plan.ifname)) throw new PlanError(`${plan.ifname} is not a utun interface`);
  const routes = darwinRoutes(plan);
  const log = await context.journal.begin(plan.ifname);
  const system: JournaledSystem = {
    run: binding.run,
    record: (step) => log.record(step),
    retire: (step) => log.retire(step),
  };
  let follower: RouteFollower | undefined;
  const undo = async () => {
    await follower?.stop();
    await log.undo();
  };
  try {
    let endpoints = plan.endpoints;
    await addAddresses(system, plan.ifname, plan.addresses);
    const mtu = plan.mtu === 'auto' ? await autoMtu(binding.run, endpoints) : plan.mtu;
    await setMtuAndUp(system, plan.ifname, mtu);
    await addRoutes(system, plan.ifname, routes);
    const endpointRoutes =
      plan.fullTunnel.length > 0 ? new EndpointRoutes(system, plan.ifname, plan.fullTunnel, endpoints) : undefined;
    await endpointRoutes?.update();
    const dns =
      plan.dns.servers.length > 0 ? new ServiceDns(system, plan.dns.servers, plan.dns.searchDomains) : undefined;
    await dns?.refresh();
    let enginePort = context.engineListenPort;
    const killSwitch = () => ({
      ifname: plan.ifname,
      endpoints,
      dnsServers: plan.dns.servers,
      ...(enginePort === undefined ? {} : { enginePort }),
    });
    if (plan.killSwitch) await addKillSwitch(system, killSwitch());
    // An automatic MTU follows the uplink, as wg-quick's monitor has it.
    const followMtu =
      plan.mtu === 'auto'
        ? async () => void (await setMtu(system, plan.ifname, await autoMtu(binding.run, endpoints)))
        : undefined;
    const refreshers = [endpointRoutes?.update.bind(endpointRoutes), dns?.refresh.bind(dns), followMtu].filter(
      (refresher) => refresher !== undefined,
    );
    if (refreshers.length > 0)
      follower = new RouteFollower((changed) => binding.watchRoutes(changed), refreshers, options.followIntervalMs);
    const updateEndpoints = async (next: readonly Endpoint[]) => {
      endpoints = next;
      // pfctl -f replaces the anchor's rules in one step: the new endpoints pass from then on, the old ones no longer.
      if (plan.killSwitch) await reloadKillSwitch(system, killSwitch());
      endpointRoutes?.setEndpoints(next);
      await follower?.refresh();
    };
    const updateEngineListenPort = async (port: number) => {
      enginePort = port;
      await reloadKillSwitch(system, killSwitch());
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
