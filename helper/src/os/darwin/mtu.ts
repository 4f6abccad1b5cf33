// Automatic tunnel MTU on macOS: what the interfaces towards the peers carry,
// minus WireGuard's overhead. wg-quick's darwin script looks at the default
// route's interface alone; the interfaces that actually lead to the endpoints
// are asked first, which is the same interface whenever the peers are reached
// by the default route.
import type { Endpoint } from '../../net/ip.js';
import type { DarwinCommandRunner } from './binding.js';
import { readInterface } from './ifconfig.js';
import { routeGet } from './route-get.js';

/** IPv6 header (40) + UDP header (8) + WireGuard data header (16) + Poly1305 tag (16): the worst case. */
export const WG_OVERHEAD = 80;
export const MIN_TUNNEL_MTU = 1280;
export const ASSUMED_LINK_MTU = 1500;

export async function autoMtu(run: DarwinCommandRunner, endpoints: readonly Endpoint[]): Promise<number> {
  const interfaces = new Set<string>();
  for (const endpoint of endpoints) {
    const route = await routeGet(run, endpoint.family, endpoint);
    if (route?.interface) interfaces.add(route.interface);
  }
  if (interfaces.size === 0) {
    const route = (await routeGet(run, 4, 'default')) ?? (await routeGet(run, 6, 'default'));
    if (route?.interface) interfaces.add(route.interface);
  }
  const mtus: number[] = [];
  for (const ifname of interfaces) {
    try {
      mtus.push((await readInterface({ run }, ifname)).mtu);
    } catch {
      // The interface went away between the two questions: it carries nothing.
    }
  }
  const linkMtu = mtus.length > 0 ? Math.min(...mtus) : ASSUMED_LINK_MTU;
  return Math.max(MIN_TUNNEL_MTU, linkMtu - WG_OVERHEAD);
}
