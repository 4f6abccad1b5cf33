// Automatic tunnel MTU, as wg-quick chooses it: what the path to the peers
// carries, minus WireGuard's overhead.
import { formatIpAddress, type Endpoint } from '../../net/ip.js';
import { CommandFailed, type CommandRunner } from '../command.js';

/** IPv6 header (40) + UDP header (8) + WireGuard data header (16) + Poly1305 tag (16): the worst case. */
export const WG_OVERHEAD = 80;
/** IPv6 needs at least this much on every link. */
export const MIN_TUNNEL_MTU = 1280;
/** When nothing on the system says otherwise. */
export const ASSUMED_LINK_MTU = 1500;

interface RouteJson {
  readonly dev?: string;
  readonly metrics?: readonly { readonly mtu?: number }[];
}

/**
 * The smallest MTU of the routes to the endpoints (a route's own mtu, else its
 * device's), or the default route's device MTU when no endpoint is routable,
 * minus WG_OVERHEAD, and never below MIN_TUNNEL_MTU. wg-quick takes the largest
 * across endpoints; the smallest is the one that fits every peer's path.
 */
export async function autoMtu(run: CommandRunner, endpoints: readonly Endpoint[]): Promise<number> {
  const pathMtus: number[] = [];
  for (const endpoint of endpoints) {
    const routes = await jsonOrEmpty(run, ['ip', '-j', 'route', 'get', formatIpAddress(endpoint)]);
    const mtu = await routeMtu(run, routes[0]);
    if (mtu !== undefined) pathMtus.push(mtu);
  }
  if (pathMtus.length === 0) {
    for (const flag of ['-4', '-6']) {
      const routes = await jsonOrEmpty(run, ['ip', '-j', flag, 'route', 'show', 'default']);
      const mtu = await routeMtu(run, routes[0]);
      if (mtu !== undefined) pathMtus.push(mtu);
    }
  }
  const linkMtu = pathMtus.length > 0 ? Math.min(...pathMtus) : ASSUMED_LINK_MTU;
  return Math.max(MIN_TUNNEL_MTU, linkMtu - WG_OVERHEAD);
}

async function routeMtu(run: CommandRunner, route: RouteJson | undefined): Promise<number | undefined> {
  const own = route?.metrics?.find((metric) => metric.mtu !== undefined)?.mtu;
  if (own !== undefined) return own;
  if (route?.dev === undefined) return undefined;
  return linkMtu(run, route.dev);
}

export async function linkMtu(run: CommandRunner, ifname: string): Promise<number | undefined> {
  const links = (await jsonOrEmpty(run, ['ip', '-j', 'link', 'show', 'dev', ifname])) as { mtu?: number }[];
  return links[0]?.mtu;
}

/** `ip -j` output; an unreachable destination or missing device is no answer, not an error. */
async function jsonOrEmpty(run: CommandRunner, argv: readonly string[]): Promise<RouteJson[]> {
  try {
    const out = await run(argv);
    return out.trim() === '' ? [] : (JSON.parse(out) as RouteJson[]);
  } catch (error) {
    if (error instanceof CommandFailed) return [];
    throw error;
  }
}
