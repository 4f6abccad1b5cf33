// npm run bench: races Wirefly against wireguard-go on this machine. Every pair
// runs in network namespaces created here and removed afterwards; figures are
// printed as a table and written as JSON for comparison between runs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cryptoWorkersFor } from '../../helper/src/runtime/wireguard-interface.js';
import { Lab } from '../integration/harness/lab.js';
import { createTunnelPair, type TunnelPair } from '../integration/harness/pair.js';
import {
  wirefly,
  wireflyWithCryptoWorkers,
  wireguardGo,
  type WireGuardImplementation,
} from '../integration/harness/wireguard.js';
import { formatFloodTable, measureFlood, type FloodResult } from './flood.js';
import { measureHandshakesPerSecond } from './handshakes.js';
import { BENCH_MTUS, formatMtuTable, measureMtus } from './mtu.js';
import { formatScaleTable, measureScale, type ScaleResult } from './scale.js';
import { iperfTcp, iperfUdp, peakRssMb, pingRtt, setMtu, type TcpResult, type UdpResult } from './measure.js';

export interface PairResult {
  readonly pair: string;
  readonly outer: 'IPv4' | 'IPv6';
  readonly mtu: number;
  readonly forward: TcpResult;
  readonly reverse: TcpResult;
  readonly udp?: UdpResult;
  readonly addedLatencyMs?: number;
  readonly wireflyPeakRssMb?: number;
}

export interface BenchResults {
  readonly date: string;
  readonly node: string;
  readonly seconds: number;
  readonly rounds: number;
  /** What WIREFLY_CRYPTO_WORKERS=auto chooses on this machine (0: inline), and from how many cores. */
  readonly autoCryptoWorkers: { readonly cores: number; readonly workers: number };
  /** The median of the rounds. */
  readonly handshakesPerSecond: number;
  /** Each figure the median of its rounds. */
  readonly pairs: readonly PairResult[];
  /** Every round's figures, in the order measured. */
  readonly samples: readonly (readonly PairResult[])[];
}

export interface BenchOptions {
  readonly seconds: number;
  /**
   * Times every pair is measured, all pairs once per round so that a slow
   * spell of a shared machine does not fall on one pair only; the table gives
   * medians.
   */
  readonly rounds: number;
  readonly udpOfferedMbps: number;
  readonly mtus: readonly number[];
  readonly pairs: readonly (readonly [WireGuardImplementation, WireGuardImplementation])[];
  /** Measured at MTU 1420 only. */
  readonly poolPairs: readonly (readonly [WireGuardImplementation, WireGuardImplementation])[];
  readonly ipv6Outer: boolean;
  readonly log: (line: string) => void;
}

const PAIRS = [
  [wireguardGo, wireguardGo],
  [wirefly, wireguardGo],
  [wirefly, wirefly],
] as const;

/** Crypto on a pool as well as inline, so the bench shows what WIREFLY_CRYPTO_WORKERS=auto decides between. */
const POOL_WORKERS = 2;
const POOL_PAIRS = [
  [wireflyWithCryptoWorkers(POOL_WORKERS), wireguardGo],
  [wireflyWithCryptoWorkers(POOL_WORKERS), wireflyWithCryptoWorkers(POOL_WORKERS)],
] as const;

async function measurePair(
  a: WireGuardImplementation,
  b: WireGuardImplementation,
  outerMtu: number,
  outer: 4 | 6,
  options: BenchOptions,
): Promise<PairResult> {
  const lab = await Lab.create();
  try {
    const pair: TunnelPair = await createTunnelPair(lab, a, b, { outerFamily: outer });
    if (outerMtu !== 1500) await setMtu(pair, outerMtu);
    // First contact: the handshake, outside the measurements.
    await pingRtt(pair.a.ns, pair.b.tunnelV4, 3);
    const name = `${a.label}↔${b.label}`;
    options.log(`  ${name}, outer ${outer === 4 ? 'IPv4' : 'IPv6'}, MTU ${outerMtu - 80}`);
    const forward = await iperfTcp(pair, pair.a, options.seconds);
    const reverse = await iperfTcp(pair, pair.b, options.seconds);
    const full = outerMtu === 1500 && outer === 4;
    const udp = full ? await iperfUdp(pair, pair.a, options.seconds, options.udpOfferedMbps) : undefined;
    const addedLatencyMs = full
      ? (await pingRtt(pair.a.ns, pair.b.tunnelV4)) - (await pingRtt(pair.a.ns, pair.b.outer.v4))
      : undefined;
    const wireflyPids = [pair.a, pair.b]
      .filter((side) => side.implementation === 'wirefly')
      .map((side) => side.daemon.pid);
    return {
      pair: name,
      outer: outer === 4 ? 'IPv4' : 'IPv6',
      mtu: outerMtu - 80,
      forward,
      reverse,
      ...(udp ? { udp } : {}),
      ...(addedLatencyMs !== undefined ? { addedLatencyMs } : {}),
      ...(wireflyPids.length ? { wireflyPeakRssMb: Math.max(...wireflyPids.map(peakRssMb)) } : {}),
    };
  } finally {
    await lab.cleanup();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The same shape with every number replaced by the median of that number across the rounds. */
function medianOf<T>(rounds: readonly T[]): T {
  const [first] = rounds;
  if (typeof first === 'number') return median(rounds as readonly number[]) as T;
  if (typeof first !== 'object' || first === null) return first as T;
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(first))
    result[key] = medianOf(rounds.map((round) => (round as Record<string, unknown>)[key]));
  return result as T;
}

/** Medians, except where one bad round matters: reordering and peak memory take the worst round. */
function summarize(rounds: readonly PairResult[]): PairResult {
  const summary = medianOf(rounds);
  const worst = (pick: (row: PairResult) => number | undefined) =>
    Math.max(...rounds.map((row) => pick(row) ?? -Infinity));
  return {
    ...summary,
    ...(summary.udp ? { udp: { ...summary.udp, outOfOrder: worst((row) => row.udp?.outOfOrder) } } : {}),
    ...(summary.wireflyPeakRssMb !== undefined ? { wireflyPeakRssMb: worst((row) => row.wireflyPeakRssMb) } : {}),
  };
}

async function measureRound(options: BenchOptions): Promise<PairResult[]> {
  const pairs: PairResult[] = [];
  for (const mtu of options.mtus) {
    for (const [a, b] of options.pairs) pairs.push(await measurePair(a, b, mtu, 4, options));
  }
  for (const [a, b] of options.poolPairs) pairs.push(await measurePair(a, b, 1500, 4, options));
  if (options.ipv6Outer) pairs.push(await measurePair(wirefly, wireguardGo, 1500, 6, options));
  return pairs;
}

export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const handshakeRounds: number[] = [];
  const samples: PairResult[][] = [];
  for (let round = 1; round <= options.rounds; round++) {
    options.log(`round ${round} of ${options.rounds}: handshakes per second (one responder, one core)…`);
    handshakeRounds.push(measureHandshakesPerSecond());
    samples.push(await measureRound(options));
  }
  return {
    date: new Date().toISOString(),
    node: process.version,
    seconds: options.seconds,
    rounds: options.rounds,
    autoCryptoWorkers: { cores: availableParallelism(), workers: cryptoWorkersFor('auto', availableParallelism()) },
    handshakesPerSecond: median(handshakeRounds),
    pairs: samples[0]!.map((_, row) => summarize(samples.map((round) => round[row]!))),
    samples,
  };
}

const fixed = (value: number | undefined, digits: number) =>
  value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);

export function formatTable(results: BenchResults): string {
  const lines: string[] = [];
  const baseline = new Map<number, PairResult>();
  for (const row of results.pairs) {
    if (row.pair === 'wireguard-go↔wireguard-go' && row.outer === 'IPv4') baseline.set(row.mtu, row);
  }
  lines.push(`medians of ${results.rounds} round(s) of ${results.seconds} s per direction`);
  lines.push(`handshakes/s (one core): ${results.handshakesPerSecond.toFixed(0)}`);
  const auto = results.autoCryptoWorkers;
  lines.push(
    `WIREFLY_CRYPTO_WORKERS=auto on these ${auto.cores} cores: ${auto.workers === 0 ? 'inline' : `${auto.workers} workers`}`,
  );
  lines.push('');
  lines.push(
    '| pair | outer | MTU | a→b Gbit/s | ratio | b→a Gbit/s | ratio | CPU s/GB | UDP delivered / offered, loss, reordered | +latency ms | peak RSS MB |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const row of results.pairs) {
    const base = baseline.get(row.mtu);
    const ratio = (value: number, baseValue: number | undefined) =>
      baseValue ? `${(value / baseValue).toFixed(2)}×` : '–';
    const udp = row.udp
      ? `${fixed(row.udp.deliveredGbps * 1000, 0)}/${fixed(row.udp.offeredGbps * 1000, 0)} Mbit/s, ${fixed(row.udp.lossPercent, 2)}%, ${row.udp.outOfOrder}`
      : '–';
    const cpu = (row.forward.cpuSecondsPerGb + row.reverse.cpuSecondsPerGb) / 2;
    lines.push(
      `| ${row.pair} | ${row.outer} | ${row.mtu} | ${fixed(row.forward.gbps, 3)} | ${ratio(row.forward.gbps, base?.forward.gbps)} | ` +
        `${fixed(row.reverse.gbps, 3)} | ${ratio(row.reverse.gbps, base?.reverse.gbps)} | ${fixed(cpu, 2)} | ${udp} | ` +
        `${fixed(row.addedLatencyMs, 3)} | ${fixed(row.wireflyPeakRssMb, 0)} |`,
    );
  }
  return lines.join('\n');
}

/** The cases `npm run bench` can run; BENCH_SUITES (comma-separated) picks some, all by default. */
const SUITES = ['throughput', 'mtu', 'flood', 'scale'] as const;
type Suite = (typeof SUITES)[number];

function chosenSuites(): Suite[] {
  const asked = process.env.BENCH_SUITES?.split(',').map((name) => name.trim());
  if (!asked) return [...SUITES];
  const unknown = asked.filter((name) => !(SUITES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`BENCH_SUITES: unknown ${unknown.join(', ')} (known: ${SUITES.join(', ')})`);
  return asked as Suite[];
}

/** Each case's rounds, then the medians; the pairs take turns, so that a slow spell of the machine falls on all of them. */
async function inRounds<T>(
  rounds: number,
  log: (line: string) => void,
  name: string,
  measure: () => Promise<T[]>,
): Promise<{ medians: T[]; samples: T[][] }> {
  const samples: T[][] = [];
  for (let round = 1; round <= rounds; round++) {
    log(`${name}, round ${round} of ${rounds}…`);
    samples.push(await measure());
  }
  return { medians: samples[0]!.map((_, row) => medianOf(samples.map((sample) => sample[row]!))), samples };
}

async function main(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // BENCH_PAIRS=wirefly↔wireguard-go (comma-separated) and BENCH_MTUS=1420 narrow a run while working on one case.
  const onlyPairs = process.env.BENCH_PAIRS?.split(',');
  const onlyMtus = process.env.BENCH_MTUS?.split(',').map(Number);
  const picked = <T extends readonly [WireGuardImplementation, WireGuardImplementation]>(pairs: readonly T[]) =>
    pairs.filter(([a, b]) => !onlyPairs || onlyPairs.includes(`${a.label}↔${b.label}`));
  const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, rounds };
  const tables: string[] = [];
  for (const suite of chosenSuites()) {
    if (suite === 'throughput') {
      const throughput = await runBench({
        seconds,
        rounds,
        udpOfferedMbps: Number(process.env.BENCH_UDP_MBPS ?? 300),
        mtus: [1500, 9080].filter((outer) => !onlyMtus || onlyMtus.includes(outer - 80)),
        pairs: picked(PAIRS),
        poolPairs: POOL_PAIRS.filter(([a, b]) =>
          onlyPairs ? onlyPairs.includes(`${a.label}↔${b.label}`) : !onlyMtus || onlyMtus.includes(1420),
        ),
        ipv6Outer: !onlyPairs && !onlyMtus,
        log,
      });
      results.throughput = throughput;
      tables.push(formatTable(throughput));
    } else if (suite === 'mtu') {
      const options = {
        seconds: Math.ceil(seconds / 2),
        mtus: BENCH_MTUS.filter((mtu) => !onlyMtus || onlyMtus.includes(mtu)),
        pairs: picked(PAIRS),
        udp: process.env.BENCH_MTU_UDP !== 'off',
        log,
      };
      const mtu = await inRounds(rounds, log, 'TCP and UDP at every MTU, netns.sh topology', () =>
        measureMtus(options),
      );
      results.mtu = mtu;
      tables.push(`MTUs (medians of ${rounds} round(s) of ${options.seconds} s):\n${formatMtuTable(mtu.medians)}`);
    } else if (suite === 'scale') {
      const counts = [60_000, 100_000];
      const servers = [wireguardGo, wirefly].filter(
        (server) => !onlyPairs || onlyPairs.some((pair) => pair.endsWith(server.label)),
      );
      const scale = await inRounds(rounds, log, `${counts.join(' and ')} peers in one setconf`, async () => {
        const round: ScaleResult[] = [];
        for (const count of counts) for (const server of servers) round.push(await measureScale(server, count));
        return round;
      });
      results.scale = scale;
      tables.push(`Many peers (medians of ${rounds} round(s)):\n${formatScaleTable(scale.medians)}`);
    } else {
      const options = { rate: 20_000, seconds };
      const pairs = picked([
        [wireguardGo, wireguardGo],
        [wirefly, wirefly],
      ] as const);
      const flood = await inRounds(
        rounds,
        log,
        `handshake flood of ${options.rate}/s for ${options.seconds} s`,
        async () => {
          const round: FloodResult[] = [];
          for (const [client, server] of pairs) round.push(await measureFlood(client, server, options));
          return round;
        },
      );
      results.flood = flood;
      tables.push(`Handshake flood (medians of ${rounds} round(s)):\n${formatFloodTable(flood.medians)}`);
    }
  }
  process.stdout.write(`${tables.join('\n\n')}\n`);
  const file = join(
    dirname(fileURLToPath(import.meta.url)),
    '..',
    '..',
    '..',
    'test',
    'bench',
    'results',
    'latest.json',
  );
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stderr.write(`results written to ${file}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
