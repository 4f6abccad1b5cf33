// "Always on" (Mullvad's lockdown mode): one nftables table per helper that
// blocks whatever leaves or arrives outside a tunnel, whether or not any
// tunnel is up. It is loaded when the helper starts (at boot, as a service)
// and never journaled: a helper that stops or crashes leaves it in place, and
// the next one loads it afresh. Its sets name what may pass: the interfaces of
// the tunnels that are up, their endpoints (so that a tunnel can connect), and
// the engines' firewall marks. DHCP and IPv6 neighbour discovery pass so that
// the machine keeps its address; DNS goes only through a tunnel, even with
// the LAN allowed.
import { formatIpAddress, type Endpoint } from '../../net/ip.js';
import type { CommandRunner } from '../command.js';
import { runIgnoringAbsent } from '../command.js';
import { lanRules } from './lan-ranges.js';

export const LOCKDOWN_COUNTERS = { droppedOut: 'dropped_out', droppedIn: 'dropped_in' } as const;

/** One per helper, named after its user (a uid). */
export function lockdownTable(user: string): string {
  if (!/^\d{1,10}$/.test(user)) throw new Error(`not a uid: ${user}`);
  return `wirefly-lockdown-${user}`;
}

const DNS = 'meta l4proto { tcp, udp } th dport 53';
const NDP_OUT = 'icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } ip6 hoplimit 255';
const NDP_IN =
  'icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, nd-redirect } ip6 hoplimit 255';

/** The whole table, with empty sets; loading it replaces any earlier one atomically. */
export function lockdownScript(table: string, allowLan: boolean): string {
  const output = [
    'oifname "lo" accept',
    'oifname @tunnels accept',
    'meta mark @marks ct mark set meta mark accept',
    'ip daddr . udp dport @endpoints4 accept',
    'ip6 daddr . udp dport @endpoints6 accept',
    'udp sport 68 udp dport 67 accept',
    `${NDP_OUT} accept`,
    'ip6 daddr ff02::1:2 udp sport 546 udp dport 547 accept',
    `${DNS} drop`,
    ...(allowLan ? lanRules('out') : []),
    `counter name "${LOCKDOWN_COUNTERS.droppedOut}" drop`,
  ];
  const input = [
    'iifname "lo" accept',
    'iifname @tunnels accept',
    'ct mark @marks accept',
    'socket mark @marks accept',
    'ip saddr . udp sport @endpoints4 accept',
    'ip6 saddr . udp sport @endpoints6 accept',
    'udp sport 67 udp dport 68 accept',
    `${NDP_IN} accept`,
    'ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept',
    ...(allowLan ? lanRules('in') : []),
    `counter name "${LOCKDOWN_COUNTERS.droppedIn}" drop`,
  ];
  const chain = (name: string, rules: readonly string[]) => [
    `  chain ${name} {`,
    `    type filter hook ${name} priority filter; policy accept;`,
    ...rules.map((rule) => `    ${rule}`),
    '  }',
  ];
  return [
    // Declared then deleted, so that the load replaces an older table without failing when there is none.
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    '  set tunnels { type ifname; }',
    '  set marks { type mark; }',
    '  set endpoints4 { type ipv4_addr . inet_service; }',
    '  set endpoints6 { type ipv6_addr . inet_service; }',
    ...Object.values(LOCKDOWN_COUNTERS).map((name) => `  counter ${name} {}`),
    ...chain('output', output),
    ...chain('input', input),
    '}',
    '',
  ].join('\n');
}

/** What one tunnel needs let through. */
export interface LockdownAdmission {
  readonly ifname: string;
  readonly endpoints: readonly Endpoint[];
  readonly mark?: number;
}

function elements(admission: LockdownAdmission): string[] {
  const lines = [`element tunnels { "${admission.ifname}" }`];
  for (const endpoint of admission.endpoints) {
    const set = endpoint.family === 4 ? 'endpoints4' : 'endpoints6';
    lines.push(`element ${set} { ${formatIpAddress(endpoint)} . ${endpoint.port} }`);
  }
  if (admission.mark !== undefined && admission.mark !== 0) lines.push(`element marks { ${admission.mark} }`);
  return lines;
}

export async function loadLockdown(run: CommandRunner, table: string, allowLan: boolean): Promise<void> {
  await run(['nft', '-f', '-'], { input: lockdownScript(table, allowLan) });
}

export async function removeLockdown(run: CommandRunner, table: string): Promise<void> {
  await runIgnoringAbsent(run, ['nft', 'delete', 'table', 'inet', table]);
}

export async function admitToLockdown(run: CommandRunner, table: string, admission: LockdownAdmission): Promise<void> {
  const script = elements(admission).map((line) => `add ${line.replace(/^element (\S+)/, `element inet ${table} $1`)}`);
  await run(['nft', '-f', '-'], { input: `${script.join('\n')}\n` });
}

/** Takes a tunnel's elements out again; ones already gone are no error. */
export async function releaseFromLockdown(
  run: CommandRunner,
  table: string,
  admission: LockdownAdmission,
): Promise<void> {
  for (const line of elements(admission)) {
    const [, set, value] = /^element (\S+) \{ (.*) \}$/.exec(line)!;
    await runIgnoringAbsent(run, ['nft', 'delete', 'element', 'inet', table, set!, `{ ${value!} }`]);
  }
}
