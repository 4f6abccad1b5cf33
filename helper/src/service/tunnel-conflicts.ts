// Whether two tunnels can run side by side. Two that claim the same thing of
// the system (a route, the resolver, an address, a UDP port) cannot: the
// second would fail half way up, or quietly take traffic from the first.
import type { WgQuickConfig } from '../config/index.js';
import { cidrsOverlap, formatCidr, type Cidr } from '../net/ip.js';

/** Why `next` cannot come up beside `running`, in words; empty when it can. */
export function tunnelConflicts(next: WgQuickConfig, running: WgQuickConfig): string[] {
  const reasons: string[] = [];
  const route = overlapOf(routedNetworks(next), routedNetworks(running));
  if (route) reasons.push(`both route ${route}`);
  if (setsDns(next) && setsDns(running)) reasons.push('both set DNS');
  const address = overlapOf(next.interface.addresses, running.interface.addresses);
  if (address) reasons.push(`both use the address ${address}`);
  const port = next.interface.listenPort;
  if (port !== undefined && port !== 0 && port === running.interface.listenPort)
    reasons.push(`both listen on UDP port ${port}`);
  return reasons;
}

/** With Table = off the tunnel adds no routes, so its AllowedIPs claim nothing of the routing table. */
function routedNetworks(config: WgQuickConfig): Cidr[] {
  if (config.interface.table === 'off') return [];
  return config.peers.flatMap((peer) => peer.allowedIps);
}

function setsDns(config: WgQuickConfig): boolean {
  return config.interface.dns.length > 0 || config.interface.dnsSearch.length > 0;
}

function overlapOf(a: readonly Cidr[], b: readonly Cidr[]): string | undefined {
  for (const x of a) {
    const y = b.find((other) => cidrsOverlap(x, other));
    if (y) return x.prefix <= y.prefix ? formatCidr(y) : formatCidr(x);
  }
  return undefined;
}
