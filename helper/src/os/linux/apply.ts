// Brings a planned tunnel's networking up on Linux, in wg-quick's order:
// addresses, MTU and link up (the MTU probe must see the routes as they were),
// routes, full-tunnel policy routing, DNS, kill switch. Each change is journaled
// before it is made; if one fails, what was done so far is undone.
import type { Endpoint } from '../../net/ip.js';
import type { AppliedTunnelNetwork, NetworkContext, TunnelNetworkPlan } from '../network.js';
import { spawnCommand, type CommandRunner } from '../command.js';
import { detectDnsBackend, setTunnelDns, type DnsBackend } from './dns.js';
import { addKillSwitch, markEngineForKillSwitch, reloadKillSwitch } from './firewall.js';
import { addAddresses, setMtuAndUp } from './link.js';
import { autoMtu } from './mtu.js';
import { addFullTunnel } from './policy-routing.js';
import { RESOLV_CONF } from './resolv-conf.js';
import { addRoutes } from './routes.js';
import type { JournaledSystem } from './undo-steps.js';

export interface ApplyOptions extends NetworkContext {
  /** Runs ip, nft, sysctl, resolvectl, resolvconf; default spawns them directly. */
  readonly runner?: CommandRunner;
  /** Default: detected (systemd-resolved, else resolvconf, else the file). */
  readonly dnsBackend?: DnsBackend;
  /** For the file backend; default /etc/resolv.conf. */
  readonly resolvConfPath?: string;
}

export interface AppliedLinuxNetwork extends AppliedTunnelNetwork {
  /** Set when the plan had DNS servers. */
  readonly dnsBackend?: DnsBackend;
}

export async function applyLinuxTunnelNetwork(
  plan: TunnelNetworkPlan,
  options: ApplyOptions,
): Promise<AppliedLinuxNetwork> {
  const setFwmark = options.setFwmark;
  if (plan.fullTunnel.length > 0 && !setFwmark) {
    throw new Error('a full tunnel needs setFwmark, so the engine can mark its own packets');
  }
  const log = await options.journal.begin(plan.ifname);
  const system: JournaledSystem = { run: options.runner ?? spawnCommand, record: (step) => log.record(step) };
  try {
    await addAddresses(system, plan.ifname, plan.addresses);
    const mtu = plan.mtu === 'auto' ? await autoMtu(system.run, plan.endpoints) : plan.mtu;
    await setMtuAndUp(system, plan.ifname, mtu);
    await addRoutes(system, plan.ifname, plan.routes);
    const fwmark =
      plan.fullTunnel.length > 0 && setFwmark
        ? await addFullTunnel(system, {
            ifname: plan.ifname,
            families: plan.fullTunnel,
            addresses: plan.addresses,
            setFwmark,
            ...(plan.fwmark === undefined ? {} : { fwmark: plan.fwmark }),
          })
        : plan.killSwitch && setFwmark
          ? await markEngineForKillSwitch(system.run, plan.fwmark, setFwmark)
          : undefined;
    let dnsBackend: DnsBackend | undefined;
    if (plan.dns.servers.length > 0) {
      dnsBackend = options.dnsBackend ?? detectDnsBackend();
      await setTunnelDns(system, dnsBackend, {
        ifname: plan.ifname,
        servers: plan.dns.servers,
        searchDomains: plan.dns.searchDomains,
        fullTunnel: plan.fullTunnel.length > 0,
        resolvConfPath: options.resolvConfPath ?? RESOLV_CONF,
      });
    }
    const killSwitch = (endpoints: readonly Endpoint[]) => ({
      ifname: plan.ifname,
      endpoints,
      dnsServers: plan.dns.servers,
      allowLan: plan.allowLan,
      ...(fwmark === undefined ? {} : { engineMark: fwmark }),
    });
    if (plan.killSwitch) await addKillSwitch(system, killSwitch(plan.endpoints));
    return {
      mtu,
      ...(fwmark === undefined ? {} : { fwmark }),
      ...(dnsBackend === undefined ? {} : { dnsBackend }),
      undo: () => log.undo(),
      // Routing does not depend on the endpoints (the engine's UDP is marked); a kill switch's rules name them too, for
      // an engine that was not given the mark.
      ...(plan.killSwitch ? { updateEndpoints: (next) => reloadKillSwitch(system.run, killSwitch(next)) } : {}),
    };
  } catch (error) {
    try {
      await log.undo();
    } catch (undoError) {
      throw new AggregateError([error, undoError], `bringing up ${plan.ifname} failed, and so did undoing it`);
    }
    throw error;
  }
}
