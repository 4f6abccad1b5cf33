// Measurements over a tunnel pair: iperf3 throughput (TCP and UDP), ping
// latency, and the CPU time and peak memory of the daemons doing the work.
import { readFileSync } from 'node:fs';
import type { Namespace } from '../integration/harness/namespace.js';
import type { TunnelPair, Tunnels, TunnelSide } from '../integration/harness/pair.js';

const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of a process, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Peak resident set size in MB. */
export function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

interface IperfStart {
  readonly server: ReturnType<Namespace['spawn']>;
}

async function startIperfServer(ns: Namespace, port: number): Promise<IperfStart> {
  const server = ns.spawn('iperf3', ['-s', '-1', '-p', String(port)]);
  const deadline = Date.now() + 5000;
  while (!(await ns.exec('ss', ['-Hltn', 'sport', '=', `:${port}`])).trim()) {
    if (Date.now() > deadline) throw new Error(`iperf3 server did not listen: ${server.log()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { server };
}

export interface TcpResult {
  readonly gbps: number;
  readonly bytes: number;
  readonly retransmits: number;
  /** CPU seconds both daemons spent per GB delivered. */
  readonly cpuSecondsPerGb: number;
}

export interface UdpResult {
  readonly offeredGbps: number;
  readonly deliveredGbps: number;
  readonly lossPercent: number;
  readonly outOfOrder: number;
}

function daemonCpu(pair: Tunnels): number {
  return cpuSeconds(pair.a.daemon.pid) + cpuSeconds(pair.b.daemon.pid);
}

/** TCP from `from` to the other side of the pair for `seconds`. */
export async function iperfTcp(pair: Tunnels, from: TunnelSide, seconds: number, port = 5201): Promise<TcpResult> {
  const to = from === pair.a ? pair.b : pair.a;
  const { server } = await startIperfServer(to.ns, port);
  const cpuBefore = daemonCpu(pair);
  const out = await from.ns.exec('iperf3', ['-c', to.tunnelV4, '-p', String(port), '-t', String(seconds), '-J'], {
    timeoutMs: (seconds + 30) * 1000,
  });
  const cpu = daemonCpu(pair) - cpuBefore;
  await server.exited;
  const report = JSON.parse(out) as {
    end: { sum_received: { bits_per_second: number; bytes: number }; sum_sent: { retransmits?: number } };
  };
  const bytes = report.end.sum_received.bytes;
  return {
    gbps: report.end.sum_received.bits_per_second / 1e9,
    bytes,
    retransmits: report.end.sum_sent.retransmits ?? 0,
    cpuSecondsPerGb: bytes > 0 ? cpu / (bytes / 1e9) : NaN,
  };
}

/**
 * UDP of `length`-byte datagrams at an offered rate (0: as fast as the sender
 * can); loss and reordering as iperf3's receiver counts them.
 */
export async function iperfUdp(
  pair: Tunnels,
  from: TunnelSide,
  seconds: number,
  offeredMbps: number,
  length = 1200,
  port = 5202,
): Promise<UdpResult> {
  const to = from === pair.a ? pair.b : pair.a;
  const server = to.ns.spawn('iperf3', ['-s', '-1', '-p', String(port)]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const out = await from.ns.exec(
    'iperf3',
    [
      '-c',
      to.tunnelV4,
      '-p',
      String(port),
      '-u',
      '-b',
      `${offeredMbps}M`,
      '-l',
      String(length),
      '-t',
      String(seconds),
      '-J',
    ],
    { timeoutMs: (seconds + 30) * 1000 },
  );
  await server.exited;
  const report = JSON.parse(out) as {
    end: {
      sum?: { bits_per_second: number; lost_percent: number; packets: number; lost_packets: number };
      sum_received?: { bits_per_second: number };
      streams: { udp?: { out_of_order?: number } }[];
    };
  };
  const sum = report.end.sum!;
  return {
    offeredGbps: offeredMbps / 1000,
    deliveredGbps:
      (report.end.sum_received?.bits_per_second ?? sum.bits_per_second * (1 - sum.lost_percent / 100)) / 1e9,
    lossPercent: sum.lost_percent,
    outOfOrder: report.end.streams.reduce((total, stream) => total + (stream.udp?.out_of_order ?? 0), 0),
  };
}

/** Below this, a tunnel that loses even a trickle is reported as carrying nothing. */
const CLEAN_UDP_FLOOR_MBPS = 16;

export interface CleanUdpRate {
  readonly mbps: number;
  readonly trials: number;
}

/**
 * The highest offered rate of `length`-byte datagrams that arrives whole (at
 * most `maxLossPercent` lost, and at least that near the offered rate, so a
 * sender that cannot keep up does not pass): doubling from `startMbps` until a
 * trial fails, then `refinements` geometric halvings of the last interval.
 */
export async function cleanUdpRate(
  pair: Tunnels,
  from: TunnelSide,
  length: number,
  { seconds = 2, startMbps = 250, refinements = 3, maxLossPercent = 1 } = {},
): Promise<CleanUdpRate> {
  let trials = 0;
  const passes = async (mbps: number) => {
    trials++;
    const udp = await iperfUdp(pair, from, seconds, mbps, length);
    const shortfall = 100 * (1 - (udp.deliveredGbps * 1000) / mbps);
    return udp.lossPercent <= maxLossPercent && shortfall <= maxLossPercent + 2;
  };
  let good = 0;
  let bad = startMbps;
  if (await passes(startMbps)) {
    good = startMbps;
    for (bad = startMbps * 2; await passes(bad); bad *= 2) good = bad;
  } else {
    for (let rate = startMbps / 2; rate >= CLEAN_UDP_FLOOR_MBPS; rate /= 2) {
      if (await passes(rate)) {
        good = rate;
        break;
      }
      bad = rate;
    }
    if (good === 0) return { mbps: 0, trials };
  }
  for (let step = 0; step < refinements; step++) {
    const middle = Math.round(Math.sqrt(good * bad));
    if (await passes(middle)) good = middle;
    else bad = middle;
  }
  return { mbps: good, trials };
}

/** Average ping RTT in ms. */
export async function pingRtt(ns: Namespace, address: string, count = 20): Promise<number> {
  const out = await ns.exec('ping', ['-n', '-q', '-c', String(count), '-i', '0.05', '-W', '2', address]);
  const match = /= [\d.]+\/([\d.]+)\//.exec(out);
  if (!match) throw new Error(`no RTT in ping output: ${out}`);
  return Number(match[1]);
}

/** Sets the outer links and the tunnel MTU (tunnel = outer - 80, as wg-quick). */
export async function setMtu(pair: TunnelPair, outerMtu: number): Promise<void> {
  for (const side of [pair.a, pair.b]) {
    await side.ns.exec('ip', ['link', 'set', side.outer.device, 'mtu', String(outerMtu)]);
    await side.ns.exec('ip', ['link', 'set', side.ifname, 'mtu', String(outerMtu - 80)]);
  }
}
