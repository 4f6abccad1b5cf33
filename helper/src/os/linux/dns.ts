// Tunnel DNS servers and search domains, through whichever manager the system
// has: systemd-resolved (per-link DNS), resolvconf (a record named tun.IF, as
// wg-quick writes), or resolv.conf itself.
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { formatIpAddress, type IpAddress } from '../../net/ip.js';
import { writeResolvConf } from './resolv-conf.js';
import { resolvconfRecordName, type JournaledSystem } from './undo-steps.js';

export type DnsBackend = 'resolved' | 'resolvconf' | 'file';

export interface TunnelDns {
  readonly ifname: string;
  readonly servers: readonly IpAddress[];
  readonly searchDomains: readonly string[];
  /** All traffic goes through the tunnel, so all names should be resolved there too. */
  readonly fullTunnel: boolean;
  /** The resolv.conf the file backend rewrites. */
  readonly resolvConfPath: string;
}

const RESOLVED_BUS_SOCKET = '/run/systemd/resolve/io.systemd.Resolve';

export interface DnsProbes {
  readonly onPath: (tool: string) => boolean;
  readonly exists: (path: string) => boolean;
}

export const systemProbes: DnsProbes = { onPath, exists: existsSync };

/** systemd-resolved when it runs, else resolvconf when installed, else the file. */
export function detectDnsBackend(probes: DnsProbes = systemProbes): DnsBackend {
  if (probes.onPath('resolvectl') && probes.exists(RESOLVED_BUS_SOCKET)) return 'resolved';
  if (probes.onPath('resolvconf')) return 'resolvconf';
  return 'file';
}

export async function setTunnelDns(system: JournaledSystem, backend: DnsBackend, dns: TunnelDns): Promise<void> {
  switch (backend) {
    case 'resolved':
      return setResolvedDns(system, dns);
    case 'resolvconf':
      return setResolvconfDns(system, dns);
    case 'file':
      return writeResolvConf(system, dns.resolvConfPath, dns.ifname, dns.servers, dns.searchDomains);
  }
}

async function setResolvedDns(system: JournaledSystem, dns: TunnelDns): Promise<void> {
  await system.record({ op: 'resolved-revert', ifname: dns.ifname });
  await system.run(['resolvectl', 'dns', dns.ifname, ...dns.servers.map(formatIpAddress)]);
  // "~." routes every lookup to this link's servers: no queries leak to the uplink's.
  const routing = dns.fullTunnel ? ['~.'] : [];
  await system.run(['resolvectl', 'domain', dns.ifname, ...dns.searchDomains, ...routing]);
  if (dns.fullTunnel) await system.run(['resolvectl', 'default-route', dns.ifname, 'yes']);
}

async function setResolvconfDns(system: JournaledSystem, dns: TunnelDns): Promise<void> {
  await system.record({ op: 'resolvconf-delete', ifname: dns.ifname });
  const lines = dns.servers.map((server) => `nameserver ${formatIpAddress(server)}`);
  if (dns.searchDomains.length > 0) lines.push(`search ${dns.searchDomains.join(' ')}`);
  // -m 0: this record first; -x: exclusive, the other records' servers are not used.
  await system.run(['resolvconf', '-a', resolvconfRecordName(dns.ifname), '-m', '0', '-x'], {
    input: `${lines.join('\n')}\n`,
  });
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(join(dir, tool), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}
