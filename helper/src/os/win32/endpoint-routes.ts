// A full tunnel's endpoints keep a host route through the uplink, so that the
// encrypted packets do not follow the tunnel's split default routes into the
// tunnel itself. At bring-up the route is GetBestRoute2's answer (nothing of
// the tunnel's is routed yet); after a change of the routing table (Wi-Fi to
// Ethernet, a new gateway) it is the route the system would pick were the
// tunnel's interface and these host routes not there, and a host route whose
// way has changed is replaced: the new one journaled and added before the old
// one is deleted and its record retired, so that the journal holds exactly the
// routes that exist and the endpoint is never without one. With no way out at
// all, the last route stays (an interface that is down carries nothing).
import { cidrContainsAddress, formatIpAddress, sameIpAddress, type Endpoint, type IpAddress } from '../../net/ip.js';
import type { UndoLog } from '../network.js';
import type { BestRoute, Win32NetworkApi, Win32Route } from './api.js';
import { deleteRouteStep, type Win32UndoStep } from './undo-steps.js';

function sameOptionalAddress(a: IpAddress | undefined, b: IpAddress | undefined): boolean {
  return a === undefined || b === undefined ? a === b : sameIpAddress(a, b);
}

function sameRoute(a: Win32Route, b: Win32Route): boolean {
  return (
    a.luid === b.luid &&
    a.destination.prefix === b.destination.prefix &&
    sameIpAddress(a.destination, b.destination) &&
    sameOptionalAddress(a.nextHop, b.nextHop)
  );
}

/**
 * Windows' own choice among the routes that are left: the longest prefix, then
 * the least sum of the route's and its interface's metrics, on a connected
 * interface.
 */
export function uplinkRoute(
  api: Win32NetworkApi,
  destination: IpAddress,
  tunnelLuid: bigint,
  own: readonly Win32Route[],
): BestRoute | undefined {
  let best: { route: Win32Route; metric: number } | undefined;
  const interfaces = new Map<bigint, ReturnType<Win32NetworkApi['interfaceRouting']>>();
  for (const route of api.forwardTable(destination.family)) {
    if (route.luid === tunnelLuid || !cidrContainsAddress(route.destination, destination)) continue;
    if (own.some((ours) => sameRoute(ours, route))) continue;
    if (!interfaces.has(route.luid)) interfaces.set(route.luid, api.interfaceRouting(route.luid, destination.family));
    const state = interfaces.get(route.luid);
    if (!state?.connected) continue;
    const metric = route.metric + state.metric;
    const prefix = route.destination.prefix;
    if (
      !best ||
      prefix > best.route.destination.prefix ||
      (prefix === best.route.destination.prefix && metric < best.metric)
    )
      best = { route, metric };
  }
  if (!best) return undefined;
  return { luid: best.route.luid, ...(best.route.nextHop ? { nextHop: best.route.nextHop } : {}) };
}

interface HostRoute {
  readonly route: Win32Route;
  /** The very object journaled for it, which retiring names. */
  readonly step: Win32UndoStep;
}

export class EndpointRoutes {
  /** By endpoint address: the host route that leads there now. */
  private readonly current = new Map<string, HostRoute>();
  /** Host routes a failed replacement could not delete: still journaled, still not a way out. */
  private readonly leftovers: Win32Route[] = [];

  constructor(
    private readonly api: Win32NetworkApi,
    private readonly log: UndoLog,
    private readonly tunnelLuid: bigint,
    /** The endpoints inside the tunnel's routes: only they need a way around it. */
    private endpoints: readonly Endpoint[],
    private readonly metric: number,
  ) {}

  get endpointCount(): number {
    return this.endpoints.length;
  }

  /** Endpoints that replace the ones of bring-up (a host resolved again); the next follow() routes them. */
  setEndpoints(endpoints: readonly Endpoint[]): void {
    this.endpoints = endpoints;
  }

  /** At bring-up, before the tunnel's routes exist. */
  async add(): Promise<void> {
    for (const endpoint of this.endpoints) {
      const best = this.api.bestRoute(endpoint);
      if (best && best.luid !== this.tunnelLuid) await this.routeThrough(endpoint, best);
    }
  }

  /** After a change of the routing table; a failure leaves the last routes, for the next change to try again. */
  async follow(): Promise<void> {
    const own = [...[...this.current.values()].map((held) => held.route), ...this.leftovers];
    const wanted = new Set(this.endpoints.map((endpoint) => formatIpAddress(endpoint)));
    for (const [key, held] of this.current) {
      if (wanted.has(key)) continue;
      this.api.deleteRoute(held.route);
      this.current.delete(key);
      await this.log.retire(held.step);
    }
    for (const endpoint of this.endpoints) {
      const best = uplinkRoute(this.api, endpoint, this.tunnelLuid, own);
      if (best) await this.routeThrough(endpoint, best);
    }
  }

  private async routeThrough(endpoint: Endpoint, best: BestRoute): Promise<void> {
    const key = formatIpAddress(endpoint);
    const old = this.current.get(key);
    const route: Win32Route = {
      luid: best.luid,
      destination: { family: endpoint.family, bytes: endpoint.bytes, prefix: endpoint.family === 4 ? 32 : 128 },
      ...(best.nextHop ? { nextHop: best.nextHop } : {}),
      metric: this.metric,
    };
    if (old && sameRoute(old.route, route)) return;
    const step = deleteRouteStep(route);
    await this.log.record(step);
    try {
      this.api.addRoute(route);
    } catch (error) {
      await this.log.retire(step);
      throw error;
    }
    this.current.set(key, { route, step });
    if (!old) return;
    try {
      this.api.deleteRoute(old.route);
    } catch (error) {
      this.leftovers.push(old.route);
      throw error;
    }
    await this.log.retire(old.step);
  }
}
