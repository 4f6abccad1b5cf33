// A full tunnel's endpoints keep a host route through the uplink, so that the
// encrypted packets do not follow 0/1 and 128/1 into the tunnel itself. The
// route names the gateway of the moment; when the default route changes (new
// Wi-Fi, a DHCP renewal) update() moves the host routes to the new gateway, as
// wg-quick's route monitor does. With no default route at all, an endpoint is
// routed to a blackhole until one appears, so that nothing loops.
import { formatIpAddress, type Endpoint, type IpFamily } from '../../net/ip.js';
import { runIgnoringAbsent } from './command.js';
import { routeGet, type RouteAnswer } from './route-get.js';
import { familyOption, type DarwinUndoStep, type JournaledSystem } from './undo-steps.js';

/** Where an endpoint's host route leads: a router, an interface (a point-to-point uplink), or nowhere. */
type Via = { readonly gateway: string } | { readonly interface: string } | 'blackhole';

const LOOPBACK: Readonly<Record<IpFamily, string>> = { 4: '127.0.0.1', 6: '::1' };

export function hostRouteArguments(family: IpFamily, address: string, via: Via): string[] {
  const route = ['route', '-q', '-n', 'add', familyOption(family), address];
  if (via === 'blackhole') return [...route, LOOPBACK[family], '-blackhole'];
  return 'gateway' in via ? [...route, '-gateway', via.gateway] : [...route, '-interface', via.interface];
}

function viaOf(defaultRoute: RouteAnswer | undefined): Via {
  if (defaultRoute?.gateway) return { gateway: defaultRoute.gateway };
  if (defaultRoute?.interface) return { interface: defaultRoute.interface };
  return 'blackhole';
}

function sameVia(a: Via, b: Via): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class EndpointRoutes {
  /** The host routes this tunnel added, by address. */
  private readonly added = new Map<string, Via>();
  /** The journal's record for each address, retired once its route is gone for good. */
  private readonly recorded = new Map<string, DarwinUndoStep>();

  constructor(
    private readonly system: JournaledSystem,
    private readonly ifname: string,
    /** The families routed whole into the tunnel; only their endpoints need a way around it. */
    private readonly families: readonly IpFamily[],
    private endpoints: readonly Endpoint[],
  ) {}

  /** Endpoints that replace the ones of bring-up (a host resolved again); the next update() routes them. */
  setEndpoints(endpoints: readonly Endpoint[]): void {
    this.endpoints = endpoints;
  }

  async update(): Promise<void> {
    const wanted = new Set(this.endpoints.map((endpoint) => formatIpAddress(endpoint)));
    for (const address of [...this.added.keys()].filter((added) => !wanted.has(added))) {
      await this.deleteHostRoute(address.includes(':') ? 6 : 4, address);
      const step = this.recorded.get(address);
      this.recorded.delete(address);
      if (step) await this.system.retire(step);
    }
    for (const family of this.families) {
      const via = viaOf(await routeGet(this.system.run, family, 'default'));
      for (const endpoint of this.endpoints.filter((candidate) => candidate.family === family)) {
        await this.route(endpoint, via);
      }
    }
  }

  private async route(endpoint: Endpoint, via: Via): Promise<void> {
    const family = endpoint.family;
    const address = formatIpAddress(endpoint);
    const current = this.added.get(address);
    if (current && sameVia(current, via)) return;
    if (current) {
      await this.deleteHostRoute(family, address);
    } else if (await this.someoneElsesHostRoute(endpoint)) {
      return;
    }
    if (!this.recorded.has(address)) {
      const step: DarwinUndoStep = { op: 'delete-host-route', address };
      await this.system.record(step);
      this.recorded.set(address, step);
    }
    await this.system.run(hostRouteArguments(family, address, via));
    this.added.set(address, via);
  }

  private async deleteHostRoute(family: IpFamily, address: string): Promise<void> {
    // Gone already (someone deleted it) is as good as deleted.
    await runIgnoringAbsent(this.system.run, ['route', '-q', '-n', 'delete', familyOption(family), address]);
    this.added.delete(address);
  }

  /** A host route to the endpoint that this tunnel did not add is the user's: it stays, and is not undone. */
  private async someoneElsesHostRoute(endpoint: Endpoint): Promise<boolean> {
    const route = await routeGet(this.system.run, endpoint.family, endpoint);
    return (
      route?.destination === formatIpAddress(endpoint) &&
      route.flags.includes('HOST') &&
      route.interface !== this.ifname
    );
  }
}
