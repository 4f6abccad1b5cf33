// Tunnel DNS on macOS, as wg-quick's darwin script sets it: every network
// service of the System Configuration store gets the tunnel's servers and
// search domains (networksetup writes them to the service's Setup: entry,
// which outranks what DHCP supplies). What each service had before is read
// first and journaled, and written back exactly on undo: its own servers and
// domains, or none (networksetup's "Empty") where it had none. Services that
// appear while the tunnel is up (a new Wi-Fi) get the same on refresh().
import { formatIpAddress, parseIpAddress, type IpAddress } from '../../net/ip.js';
import { networksetup } from './command.js';
import { isDomainName, isServiceName, type JournaledSystem } from './undo-steps.js';

export interface ServiceDnsSettings {
  /** null: the service sets none of its own (DHCP's are used). */
  readonly servers: readonly string[] | null;
  readonly domains: readonly string[] | null;
}

/** `networksetup -listallnetworkservices`: a heading line, then one name a line; "*" marks a disabled one. */
export function parseServiceList(text: string): string[] {
  return text
    .split('\n')
    .slice(1)
    .map((line) => (line.startsWith('*') ? line.slice(1) : line))
    .filter((name) => name.trim() !== '' && isServiceName(name));
}

/** One value a line, or a sentence ("There aren't any DNS Servers set on Wi-Fi.") when there are none. */
export function parseSettingList(text: string, valid: (line: string) => boolean, what: string): string[] | null {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  if (lines.length === 0 || (lines.length === 1 && /aren't any/.test(lines[0] ?? ''))) return null;
  if (!lines.every(valid)) throw new Error(`cannot read networksetup's ${what}: ${text.trim()}`);
  return lines;
}

export async function readServiceDns(
  system: Pick<JournaledSystem, 'run'>,
  service: string,
): Promise<ServiceDnsSettings> {
  const servers = parseSettingList(
    await networksetup(system.run, ['-getdnsservers', service]),
    (line) => parseIpAddress(line) !== undefined,
    `DNS servers of ${service}`,
  );
  const domains = parseSettingList(
    await networksetup(system.run, ['-getsearchdomains', service]),
    isDomainName,
    `search domains of ${service}`,
  );
  return { servers, domains };
}

export class ServiceDns {
  private readonly changed = new Set<string>();

  constructor(
    private readonly system: JournaledSystem,
    private readonly servers: readonly IpAddress[],
    private readonly domains: readonly string[],
  ) {}

  /** Sets the tunnel's DNS on every service not set yet. */
  async refresh(): Promise<void> {
    const services = parseServiceList(await networksetup(this.system.run, ['-listallnetworkservices']));
    for (const service of services) {
      if (this.changed.has(service)) continue;
      const before = await readServiceDns(this.system, service);
      await this.system.record({ op: 'restore-dns-servers', service, servers: before.servers });
      await this.system.record({ op: 'restore-search-domains', service, domains: before.domains });
      this.changed.add(service);
      await networksetup(this.system.run, ['-setdnsservers', service, ...this.servers.map(formatIpAddress)]);
      await networksetup(this.system.run, [
        '-setsearchdomains',
        service,
        ...(this.domains.length > 0 ? this.domains : ['Empty']),
      ]);
    }
  }
}
