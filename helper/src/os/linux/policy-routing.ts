// Full tunnels (a peer routes 0.0.0.0/0 or ::/0) without a routing loop, the
// way wg-quick does it: the engine marks its own UDP packets (SO_MARK), and
//   ip rule: not fwmark M -> table M      (everything unmarked goes to table M,
//   table M: default dev <tunnel>          whose only route is the tunnel)
//   ip rule: table main suppress_prefixlength 0
//                                          (main still wins for its specific
//                                          routes: the LAN, other tunnels)
// so the encrypted packets, marked, keep using main's default route.
//
// Why not a host route to each endpoint via the old gateway plus 0/1 and 128/1:
// such routes go stale when the uplink changes (new Wi-Fi, DHCP renewal, a
// roaming peer whose endpoint moves) and need a helper watching the routing
// table to fix them; a mark is independent of the uplink. Rules and the route
// are in their own table, so undo removes them without touching main.
import { formatIpAddress, type Cidr, type IpFamily } from '../../net/ip.js';
import { loadNftTable, nftTableName } from './nftables.js';
import { addRoute } from './routes.js';
import { familyFlag, SRC_VALID_MARK, type JournaledSystem } from './undo-steps.js';
import type { CommandRunner } from '../command.js';

/** wg-quick's first choice of mark and table number. */
export const FIRST_FWMARK_TABLE = 51820;
const TABLE_SEARCH_LIMIT = 1000;

export interface FullTunnel {
  readonly ifname: string;
  readonly families: readonly IpFamily[];
  /** The interface's addresses, protected from packets that arrive on other interfaces. */
  readonly addresses: readonly Cidr[];
  /** A mark from the config; without one, the first free table from FIRST_FWMARK_TABLE. */
  readonly fwmark?: number;
  /** Tells the engine to mark its UDP socket (`wg set IF fwmark M`). */
  readonly setFwmark: (mark: number) => Promise<void>;
}

/** Routes all traffic of `families` into the tunnel; returns the mark used. */
export async function addFullTunnel(system: JournaledSystem, tunnel: FullTunnel): Promise<number> {
  const mark = tunnel.fwmark ?? (await firstFreeTable(system.run));
  await tunnel.setFwmark(mark);
  for (const family of tunnel.families) {
    await system.record({ op: 'delete-fwmark-rule', family, fwmark: mark });
    await system.run(['ip', familyFlag(family), 'rule', 'add', 'not', 'fwmark', String(mark), 'table', String(mark)]);
    await system.record({ op: 'delete-suppress-rule', family });
    await system.run(['ip', familyFlag(family), 'rule', 'add', 'table', 'main', 'suppress_prefixlength', '0']);
    await addRoute(system, tunnel.ifname, defaultNetwork(family), mark);
  }
  if (tunnel.families.includes(4)) await enableSrcValidMark(system);
  await loadNftTable(system, nftTableName('fullroute', tunnel.ifname), fullRouteScript(tunnel, mark));
  return mark;
}

/**
 * Replies from the endpoint arrive unmarked on the uplink; under strict reverse
 * path filtering their source would be looked up in table M (the tunnel) and
 * dropped. Conntrack carries the mark from our outgoing packets to the replies,
 * and src_valid_mark makes the reverse path lookup use it. Packets that claim a
 * tunnel address but come from elsewhere are dropped, as wg-quick does.
 */
export function fullRouteScript(tunnel: Pick<FullTunnel, 'ifname' | 'families' | 'addresses'>, mark: number): string {
  const antiSpoof = tunnel.addresses
    .filter((address) => tunnel.families.includes(address.family))
    .map((address) => {
      const proto = address.family === 4 ? 'ip' : 'ip6';
      return `    iifname != "${tunnel.ifname}" ${proto} daddr ${formatIpAddress(address)} fib saddr type != local drop`;
    });
  return [
    `table inet ${nftTableName('fullroute', tunnel.ifname)} {`,
    '  chain preraw {',
    '    type filter hook prerouting priority raw; policy accept;',
    ...antiSpoof,
    '  }',
    '  chain premangle {',
    '    type filter hook prerouting priority mangle; policy accept;',
    '    meta l4proto udp meta mark set ct mark',
    '  }',
    '  chain postmangle {',
    '    type filter hook postrouting priority mangle; policy accept;',
    `    meta l4proto udp meta mark ${mark} ct mark set meta mark`,
    '  }',
    '}',
    '',
  ].join('\n');
}

function defaultNetwork(family: IpFamily): Cidr {
  return { family, bytes: new Uint8Array(family === 4 ? 4 : 16), prefix: 0 };
}

async function enableSrcValidMark(system: JournaledSystem): Promise<void> {
  const value = (await system.run(['sysctl', '-n', SRC_VALID_MARK])).trim();
  if (value === '1') return;
  await system.record({ op: 'restore-sysctl', key: SRC_VALID_MARK, value });
  await system.run(['sysctl', '-qw', `${SRC_VALID_MARK}=1`]);
}

/** The first table number from FIRST_FWMARK_TABLE that has no routes and no rules, for either family. */
export async function firstFreeTable(run: CommandRunner): Promise<number> {
  const rules = `${await run(['ip', '-4', 'rule', 'show'])}\n${await run(['ip', '-6', 'rule', 'show'])}`;
  for (let table = FIRST_FWMARK_TABLE; table < FIRST_FWMARK_TABLE + TABLE_SEARCH_LIMIT; table++) {
    if (new RegExp(`\\b(?:lookup|fwmark) (?:${table}|0x${table.toString(16)})\\b`).test(rules)) continue;
    if (await tableHasRoutes(run, table)) continue;
    return table;
  }
  throw new Error(`no free routing table between ${FIRST_FWMARK_TABLE} and ${FIRST_FWMARK_TABLE + TABLE_SEARCH_LIMIT}`);
}

async function tableHasRoutes(run: CommandRunner, table: number): Promise<boolean> {
  for (const flag of ['-4', '-6'] as const) {
    try {
      if ((await run(['ip', flag, 'route', 'show', 'table', String(table)])).trim() !== '') return true;
    } catch {
      // iproute2 reports a table that was never used as an error: it has no routes.
    }
  }
  return false;
}
