// The kill switch (wireguard-windows' "block untunneled traffic") as one
// nftables table per tunnel. What may pass outside the tunnel: loopback, the
// encrypted UDP to and from the endpoints, DHCP, and IPv6 neighbour discovery
// and DHCPv6 on the link. DNS may go only to the configured servers, and only
// through the tunnel. Everything else is counted and dropped.
//
// The engine's UDP carries a mark (a full tunnel's fwmark, or one set for the
// kill switch alone): whatever carries it may leave, the connection tracker
// marks the flow so that its replies (and ICMP errors about it) may come back,
// and whatever arrives for the engine's marked socket may come in. So a peer
// that roams to another address is heard there, and an endpoint whose name now
// resolves to another address keeps working, where the addresses known at
// start would not. The engine authenticates every datagram, as WireGuard for
// Windows' firewall trusts all of its service's traffic. Only root can mark a
// socket. The endpoints' own rules remain for an engine without the mark.
//
// Inbound, no "ct state established" rule: a connection opened before the
// tunnel came up would keep talking around it. Replies to what is allowed out
// match the inbound rules by themselves.
import { formatIpAddress, type Endpoint, type IpAddress, type IpFamily } from '../../net/ip.js';
import { lanRules } from './lan-ranges.js';
import { loadNftTable, nftTableName } from './nftables.js';
import { firstFreeTable } from './policy-routing.js';
import type { CommandRunner } from '../command.js';
import type { JournaledSystem } from './undo-steps.js';

/** Named counters in the table, for status and tests: `nft -j list counter inet <table> <name>`. */
export const KILL_SWITCH_COUNTERS = {
  droppedOut: 'dropped_out',
  droppedIn: 'dropped_in',
  droppedDns: 'dropped_dns',
} as const;

export interface KillSwitch {
  readonly ifname: string;
  readonly endpoints: readonly Endpoint[];
  readonly dnsServers: readonly IpAddress[];
  /** "Allow LAN": the local networks pass too (DNS to them still does not). */
  readonly allowLan?: boolean;
  /** The fwmark on the engine's UDP socket, if it has one. */
  readonly engineMark?: number;
}

/**
 * Where no full tunnel marks the engine's UDP, a kill switch has it marked all
 * the same, with the config's FwMark or else a number no routing rule or table
 * uses: the mark is how its rules know the engine's packets wherever a peer
 * moves to. Nothing routes by it.
 */
export async function markEngineForKillSwitch(
  run: CommandRunner,
  fwmark: number | undefined,
  setFwmark: (mark: number) => Promise<void>,
): Promise<number> {
  const mark = fwmark ?? (await firstFreeTable(run));
  await setFwmark(mark);
  return mark;
}

export function killSwitchTable(ifname: string): string {
  return nftTableName('killswitch', ifname);
}

export function addKillSwitch(system: JournaledSystem, killSwitch: KillSwitch): Promise<void> {
  return loadNftTable(system, killSwitchTable(killSwitch.ifname), killSwitchScript(killSwitch));
}

/**
 * New rules (other endpoints) for the table addKillSwitch() loaded: both chains
 * emptied and filled again in one nft transaction, so that no packet meets
 * half a rule set, and the counters keep their counts.
 */
export async function reloadKillSwitch(run: CommandRunner, killSwitch: KillSwitch): Promise<void> {
  const table = killSwitchTable(killSwitch.ifname);
  const flush = ['output', 'input'].map((chain) => `flush chain inet ${table} ${chain}`);
  await run(['nft', '-f', '-'], { input: [...flush, killSwitchScript(killSwitch)].join('\n') });
}

const DNS = 'meta l4proto { tcp, udp } th dport 53';
// RFC 4861: neighbour discovery is sent with hop limit 255, which proves it never left the link.
const NDP_OUT = 'icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } ip6 hoplimit 255';
const NDP_IN =
  'icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, nd-redirect } ip6 hoplimit 255';

export function killSwitchScript({ ifname, endpoints, dnsServers, engineMark, allowLan }: KillSwitch): string {
  const tunnel = `"${ifname}"`;
  const { droppedOut, droppedIn, droppedDns } = KILL_SWITCH_COUNTERS;
  const proto = (family: IpFamily) => (family === 4 ? 'ip' : 'ip6');
  const dnsThroughTunnel =
    dnsServers.length === 0
      ? [`oifname ${tunnel} ${DNS} accept`]
      : ([4, 6] as const).flatMap((family) => {
          const servers = dnsServers.filter((server) => server.family === family).map(formatIpAddress);
          return servers.length === 0
            ? []
            : [`oifname ${tunnel} ${proto(family)} daddr { ${servers.join(', ')} } ${DNS} accept`];
        });
  const endpointOut = endpoints.map(
    (endpoint) => `${proto(endpoint.family)} daddr ${formatIpAddress(endpoint)} udp dport ${endpoint.port} accept`,
  );
  const endpointIn = endpoints.map(
    (endpoint) => `${proto(endpoint.family)} saddr ${formatIpAddress(endpoint)} udp sport ${endpoint.port} accept`,
  );
  const engineOut = engineMark === undefined ? [] : [`meta mark ${engineMark} ct mark set meta mark accept`];
  const engineIn = engineMark === undefined ? [] : [`ct mark ${engineMark} accept`, `socket mark ${engineMark} accept`];
  const output = [
    'oifname "lo" accept',
    ...dnsThroughTunnel,
    `${DNS} counter name "${droppedDns}" drop`,
    `oifname ${tunnel} accept`,
    ...engineOut,
    ...endpointOut,
    'udp sport 68 udp dport 67 accept',
    NDP_OUT + ' accept',
    'ip6 daddr ff02::1:2 udp sport 546 udp dport 547 accept',
    ...(allowLan ? lanRules('out') : []),
    `counter name "${droppedOut}" drop`,
  ];
  const input = [
    'iifname "lo" accept',
    `iifname ${tunnel} accept`,
    ...engineIn,
    ...endpointIn,
    'udp sport 67 udp dport 68 accept',
    NDP_IN + ' accept',
    'ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept',
    ...(allowLan ? lanRules('in') : []),
    `counter name "${droppedIn}" drop`,
  ];
  const chain = (name: string, hook: string, rules: readonly string[]) => [
    `  chain ${name} {`,
    `    type filter hook ${hook} priority filter; policy accept;`,
    ...rules.map((rule) => `    ${rule}`),
    '  }',
  ];
  return [
    `table inet ${killSwitchTable(ifname)} {`,
    ...Object.values(KILL_SWITCH_COUNTERS).map((name) => `  counter ${name} {}`),
    ...chain('output', 'output', output),
    ...chain('input', 'input', input),
    '}',
    '',
  ].join('\n');
}
