// Host-name endpoints are resolved once, when the tunnel comes up, as wg(8)
// does; the engine and the networking (kill switch, auto MTU) then use the
// same addresses.
import { lookup } from 'node:dns/promises';
import type { WgQuickConfig } from '../config/index.js';
import { parseIpAddress, type IpAddress } from '../net/ip.js';

export type HostResolver = (host: string) => Promise<IpAddress>;

export const resolveHost: HostResolver = async (host) => {
  const { address } = await lookup(host);
  const parsed = parseIpAddress(address);
  if (!parsed) throw new Error(`${host} resolved to ${address}, which is not an IP address`);
  return parsed;
};

/** The address of every host name among the config's endpoints. */
export async function resolveEndpointHosts(
  config: WgQuickConfig,
  resolve: HostResolver,
): Promise<Map<string, IpAddress>> {
  const hosts = new Set(
    config.peers.flatMap((peer) => (peer.endpoint?.kind === 'hostname' ? [peer.endpoint.host] : [])),
  );
  const resolved = new Map<string, IpAddress>();
  for (const host of hosts) {
    try {
      resolved.set(host, await resolve(host));
    } catch (error) {
      throw new Error(`cannot resolve endpoint ${host}: ${(error as Error).message}`);
    }
  }
  return resolved;
}
