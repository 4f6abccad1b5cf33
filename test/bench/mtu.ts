// The MTU case of npm run bench: TCP and UDP through tunnels of every size
// from IPv6's minimum to what a datagram can carry, in the netns.sh topology
// (both daemons' UDP on one namespace's loopback, MTU 65536), over IPv4 and
// IPv6 outer, each direction against wireguard-go→wireguard-go at the same
// MTU. UDP is measured as the highest rate that arrives whole: a sender
// without a limit measures who wins the two cores (iperf3's own sender and
// receiver against the engines) more than what the tunnel carries.
import { Lab } from '../integration/harness/lab.js';
import { createLoopbackPair, setTunnelMtu } from '../integration/harness/loopback-pair.js';
import type { TunnelSide } from '../integration/harness/pair.js';
import type { WireGuardImplementation } from '../integration/harness/wireguard.js';
import { cleanUdpRate, iperfTcp, pingRtt } from './measure.js';

export const BENCH_MTUS = [1280, 1420, 9000, 34736, 65000];
const IPV4_UDP_HEADERS = 20 + 8;
const BASELINE = 'wireguard-go→wireguard-go';

export interface MtuResult {
  /** Sender→receiver. */
  readonly direction: string;
  readonly outer: 'IPv4' | 'IPv6';
  readonly mtu: number;
  readonly tcpGbps: number;
  readonly tcpRetransmits: number;
  /** The highest offered rate of full-size datagrams that arrived with at most 1% lost. */
  readonly udpCleanGbps: number;
}

export interface MtuOptions {
  readonly seconds: number;
  readonly mtus: readonly number[];
  readonly pairs: readonly (readonly [WireGuardImplementation, WireGuardImplementation])[];
  /** False: TCP only, so that many rounds of a TCP row fit in one sitting. */
  readonly udp: boolean;
  readonly log: (line: string) => void;
}

async function measureDirection(
  tunnels: Awaited<ReturnType<typeof createLoopbackPair>>,
  from: TunnelSide,
  to: TunnelSide,
  outer: 4 | 6,
  mtu: number,
  options: MtuOptions,
): Promise<MtuResult> {
  const direction = `${from.implementation}→${to.implementation}`;
  const tcp = await iperfTcp(tunnels, from, options.seconds);
  const udp = options.udp ? await cleanUdpRate(tunnels, from, mtu - IPV4_UDP_HEADERS) : { mbps: NaN, trials: 0 };
  options.log(
    `  ${direction}, outer IPv${outer}, MTU ${mtu}: TCP ${tcp.gbps.toFixed(3)} Gbit/s` +
      (options.udp ? `, UDP ${(udp.mbps / 1000).toFixed(3)} Gbit/s clean (${udp.trials} trials)` : ''),
  );
  return {
    direction,
    outer: outer === 4 ? 'IPv4' : 'IPv6',
    mtu,
    tcpGbps: tcp.gbps,
    tcpRetransmits: tcp.retransmits,
    udpCleanGbps: udp.mbps / 1000,
  };
}

async function measureLoopbackPair(
  a: WireGuardImplementation,
  b: WireGuardImplementation,
  outer: 4 | 6,
  options: MtuOptions,
): Promise<MtuResult[]> {
  const lab = await Lab.create();
  try {
    const tunnels = await createLoopbackPair(lab, a, b, { outerFamily: outer });
    await pingRtt(tunnels.a.ns, tunnels.b.tunnelV4, 3);
    const results: MtuResult[] = [];
    for (const mtu of options.mtus) {
      await setTunnelMtu(tunnels, mtu);
      results.push(await measureDirection(tunnels, tunnels.a, tunnels.b, outer, mtu, options));
      // A mixed pair both ways: Wirefly sending to wireguard-go and receiving from it are different paths.
      if (a.name !== b.name) results.push(await measureDirection(tunnels, tunnels.b, tunnels.a, outer, mtu, options));
    }
    return results;
  } finally {
    await lab.cleanup();
  }
}

export async function measureMtus(options: MtuOptions): Promise<MtuResult[]> {
  const results: MtuResult[] = [];
  for (const outer of [4, 6] as const) {
    for (const [a, b] of options.pairs) results.push(...(await measureLoopbackPair(a, b, outer, options)));
  }
  return results;
}

const fixed = (value: number) => (Number.isFinite(value) ? value.toFixed(3) : '–');

export function formatMtuTable(results: readonly MtuResult[]): string {
  const baseline = new Map<string, MtuResult>();
  for (const row of results) if (row.direction === BASELINE) baseline.set(`${row.outer} ${row.mtu}`, row);
  const ratio = (value: number, base: number | undefined) => (base ? `${(value / base).toFixed(2)}×` : '–');
  const lines = [
    '| sender→receiver | outer | MTU | TCP Gbit/s | ratio | TCP retransmits | UDP Gbit/s at ≤ 1% loss | ratio |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const row of [...results].sort((x, y) => x.outer.localeCompare(y.outer) || x.mtu - y.mtu)) {
    const base = baseline.get(`${row.outer} ${row.mtu}`);
    lines.push(
      `| ${row.direction} | ${row.outer} | ${row.mtu} | ${fixed(row.tcpGbps)} | ${ratio(row.tcpGbps, base?.tcpGbps)} | ` +
        `${Math.round(row.tcpRetransmits)} | ${fixed(row.udpCleanGbps)} | ${ratio(row.udpCleanGbps, base?.udpCleanGbps)} |`,
    );
  }
  return lines.join('\n');
}
