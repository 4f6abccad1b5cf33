// The MTU case of npm run bench: TCP and UDP through tunnels of every size
// from IPv6's minimum to what a datagram can carry, in the netns.sh topology
// (both daemons' UDP on one namespace's loopback, MTU 65536), over IPv4 and
// IPv6 outer, each pair against wireguard-go↔wireguard-go at the same MTU.
import { Lab } from '../integration/harness/lab.js';
import { createLoopbackPair, setTunnelMtu } from '../integration/harness/loopback-pair.js';
import type { WireGuardImplementation } from '../integration/harness/wireguard.js';
import { iperfTcp, iperfUdp, pingRtt } from './measure.js';

export const BENCH_MTUS = [1280, 1420, 9000, 34736, 65000];
const IPV4_UDP_HEADERS = 20 + 8;

export interface MtuResult {
  readonly pair: string;
  readonly outer: 'IPv4' | 'IPv6';
  readonly mtu: number;
  readonly tcpGbps: number;
  /** UDP of full-size datagrams sent as fast as iperf3 can: what arrives. */
  readonly udpGbps: number;
  readonly udpLossPercent: number;
}

export interface MtuOptions {
  readonly seconds: number;
  readonly mtus: readonly number[];
  readonly pairs: readonly (readonly [WireGuardImplementation, WireGuardImplementation])[];
  readonly log: (line: string) => void;
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
      options.log(`  ${a.label}↔${b.label}, outer IPv${outer}, MTU ${mtu}`);
      const tcp = await iperfTcp(tunnels, tunnels.a, options.seconds);
      const udp = await iperfUdp(tunnels, tunnels.a, options.seconds, 0, mtu - IPV4_UDP_HEADERS);
      results.push({
        pair: `${a.label}↔${b.label}`,
        outer: outer === 4 ? 'IPv4' : 'IPv6',
        mtu,
        tcpGbps: tcp.gbps,
        udpGbps: udp.deliveredGbps,
        udpLossPercent: udp.lossPercent,
      });
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
  for (const row of results) if (row.pair === 'wireguard-go↔wireguard-go') baseline.set(`${row.outer} ${row.mtu}`, row);
  const ratio = (value: number, base: number | undefined) => (base ? `${(value / base).toFixed(2)}×` : '–');
  const lines = [
    '| pair | outer | MTU | TCP Gbit/s | ratio | UDP delivered Gbit/s (loss) | ratio |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const row of [...results].sort((x, y) => x.outer.localeCompare(y.outer) || x.mtu - y.mtu)) {
    const base = baseline.get(`${row.outer} ${row.mtu}`);
    lines.push(
      `| ${row.pair} | ${row.outer} | ${row.mtu} | ${fixed(row.tcpGbps)} | ${ratio(row.tcpGbps, base?.tcpGbps)} | ` +
        `${fixed(row.udpGbps)} (${row.udpLossPercent.toFixed(1)}%) | ${ratio(row.udpGbps, base?.udpGbps)} |`,
    );
  }
  return lines.join('\n');
}
