// The kill switch (wireguard-windows' "block untunneled traffic") as a pf
// anchor of the helper's own, under com.apple/: the main ruleset macOS ships
// evaluates every anchor there ("anchor com.apple/*"), so the user's own pf
// rules and options are left exactly as they are. pf is enabled with a
// reference (pfctl -E), which gives a token; releasing it (pfctl -X) disables
// pf only if nobody else, the system or the user, holds pf enabled.
//
// What may pass outside the tunnel: loopback, the encrypted UDP to and from the
// endpoints and the engine's own port (whatever the address, so that a peer
// that roams is heard where it went; the engine authenticates every datagram,
// as WireGuard for Windows' firewall trusts its service's traffic), DHCP, and
// IPv6 neighbour discovery and DHCPv6 on the link. DNS may
// go only to the configured servers, and only through the tunnel. Every rule is
// "quick": the first match decides. pf keeps state, so replies to what was let
// out come back in without rules of their own.
import { formatIpAddress, type Endpoint, type IpAddress, type IpFamily } from '../../net/ip.js';
import { ANCHOR_PREFIX, type JournaledSystem } from './undo-steps.js';

export interface KillSwitch {
  readonly ifname: string;
  readonly endpoints: readonly Endpoint[];
  readonly dnsServers: readonly IpAddress[];
  /** The engine's UDP port. */
  readonly enginePort?: number;
}

export function killSwitchAnchor(ifname: string): string {
  return `${ANCHOR_PREFIX}${ifname}`;
}

const INET: Readonly<Record<IpFamily, string>> = { 4: 'inet', 6: 'inet6' };

export function killSwitchRules({ ifname, endpoints, dnsServers, enginePort }: KillSwitch): string {
  const dns = 'proto { tcp, udp } to any port 53';
  const dnsRules =
    dnsServers.length === 0
      ? [`pass out quick on ${ifname} ${dns}`]
      : ([4, 6] as const).flatMap((family) => {
          const servers = dnsServers.filter((server) => server.family === family).map(formatIpAddress);
          if (servers.length === 0) return [];
          return [
            `pass out quick on ${ifname} ${INET[family]} proto { tcp, udp } to { ${servers.join(', ')} } port 53`,
          ];
        });
  const endpointRules = endpoints.flatMap((endpoint) => {
    const family = INET[endpoint.family];
    const address = formatIpAddress(endpoint);
    return [
      `pass out quick ${family} proto udp to ${address} port ${endpoint.port}`,
      `pass in quick ${family} proto udp from ${address} port ${endpoint.port}`,
    ];
  });
  const engineRules =
    enginePort === undefined
      ? []
      : [`pass out quick proto udp from any port ${enginePort}`, `pass in quick proto udp to any port ${enginePort}`];
  return [
    'pass quick on lo0 all',
    ...dnsRules,
    `block drop out quick ${dns}`,
    `pass quick on ${ifname} all`,
    ...engineRules,
    ...endpointRules,
    'pass out quick inet proto udp from any port 68 to any port 67',
    'pass in quick inet proto udp from any port 67 to any port 68',
    'pass out quick inet6 proto icmp6 icmp6-type { routersol, neighbrsol, neighbradv }',
    'pass in quick inet6 proto icmp6 icmp6-type { routeradv, neighbrsol, neighbradv, redir }',
    'pass out quick inet6 proto udp from any port 546 to ff02::1:2 port 547',
    'pass in quick inet6 proto udp from fe80::/10 port 547 to any port 546',
    'block drop quick all',
    '',
  ].join('\n');
}

/** `pfctl -s Anchors`: the anchors the main ruleset evaluates, one a line. */
export function mainRulesetEvaluatesAppleAnchors(text: string): boolean {
  return text.split('\n').some((line) => line.trim() === 'com.apple');
}

/** pfctl -E reports its reference as "Token : 12345678901234567890". */
export function parsePfToken(text: string): string {
  const token = /Token : ([0-9]{1,20})\b/.exec(text)?.[1];
  if (!token) throw new Error(`pfctl -E gave no token: ${text.trim() || '(no output)'}`);
  return token;
}

/** Loads the rules into the tunnel's anchor, replacing what it held in one step; addKillSwitch() journals its undo first. */
export async function reloadKillSwitch(system: JournaledSystem, killSwitch: KillSwitch): Promise<void> {
  await system.run(['pfctl', '-a', killSwitchAnchor(killSwitch.ifname), '-f', '-'], {
    input: killSwitchRules(killSwitch),
  });
}

export async function addKillSwitch(system: JournaledSystem, killSwitch: KillSwitch): Promise<void> {
  const anchors = await system.run(['pfctl', '-s', 'Anchors']);
  if (!mainRulesetEvaluatesAppleAnchors(anchors.stdout)) {
    throw new Error(
      'the kill switch needs pf\'s main ruleset to evaluate the anchors under com.apple/ ("anchor \\"com.apple/*\\"", as macOS\'s /etc/pf.conf has it), and this system\'s does not',
    );
  }
  await system.record({ op: 'flush-pf-anchor', anchor: killSwitchAnchor(killSwitch.ifname) });
  await reloadKillSwitch(system, killSwitch);
  // The token exists only once pf holds the reference: a crash between these two
  // leaves pf enabled with nothing in this anchor, which blocks nothing.
  const enabled = await system.run(['pfctl', '-E']);
  await system.record({ op: 'release-pf-token', token: parsePfToken(`${enabled.stdout}\n${enabled.stderr}`) });
}
