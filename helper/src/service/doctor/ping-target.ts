// Where the doctor pings inside a tunnel when the user names no address: a
// DNS server the tunnel routes, else the first host of the tunnel's own
// network (a server is usually .1 of it), else the first host of the first
// network the peers route. Pure.
import type { WgQuickConfig } from '../../config/index.js';
import {
  addressLength,
  cidrContainsAddress,
  maskCidr,
  sameIpAddress,
  type Cidr,
  type IpAddress,
} from '../../net/ip.js';

function firstHost(network: Cidr): IpAddress | undefined {
  const bits = addressLength(network.family) * 8;
  if (network.prefix === 0) return undefined;
  const bytes = maskCidr(network).bytes.slice();
  if (network.prefix < bits) bytes[bytes.length - 1]! |= 1;
  return { family: network.family, bytes };
}

export function pingTarget(config: WgQuickConfig): IpAddress | undefined {
  const routed = config.peers.flatMap((peer) => peer.allowedIps);
  const own = config.interface.addresses;
  const isOwn = (address: IpAddress) => own.some((cidr) => sameIpAddress(cidr, address));
  const dns = config.interface.dns.find((server) => routed.some((network) => cidrContainsAddress(network, server)));
  if (dns) return dns;
  for (const cidr of [...own, ...routed]) {
    const host = firstHost(cidr);
    if (host && !isOwn(host) && routed.some((network) => cidrContainsAddress(network, host))) return host;
  }
  return undefined;
}
