// The scale case of npm run bench: a server interface given N peers in one
// `wg setconf`, how long it takes and how much memory it holds, what it costs
// idle, how long `wg show` and the removal of all but one in one set request
// take, and whether its one real client still gets through.
import { readFileSync } from 'node:fs';
import { Lab } from '../integration/harness/lab.js';
import { removalLines, uapiSet, writeManyPeers } from '../integration/harness/many-peers.js';
import { createTunnelPair } from '../integration/harness/pair.js';
import { ping } from '../integration/harness/ping.js';
import { wireguardGo, type WireGuardImplementation } from '../integration/harness/wireguard.js';
import { cpuSeconds } from './measure.js';

export interface ScaleResult {
  readonly server: string;
  readonly peers: number;
  /** Why setconf failed, when it did (wireguard-go refuses more than 65,536 peers). */
  readonly refused?: string;
  readonly setconfSeconds?: number;
  readonly residentMb?: number;
  readonly peakMb?: number;
  /** Share of one core over some idle seconds with all the peers. */
  readonly idleCpu?: number;
  readonly showSeconds?: number;
  readonly removeSeconds?: number;
  /** Pings through the tunnel to the real client: after setconf, after the removal. */
  readonly pings?: { readonly afterSetconf: number; readonly afterRemoval: number };
}

const IDLE_SECONDS = 5;

function memoryMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, (performance.now() - start) / 1000];
}

export async function measureScale(server: WireGuardImplementation, peers: number): Promise<ScaleResult> {
  const lab = await Lab.create();
  try {
    const pair = await createTunnelPair(lab, wireguardGo, server);
    const { ns, ifname, daemon } = pair.b;
    const many = writeManyPeers(lab, pair.b, pair.a, peers);
    let setconfSeconds: number;
    try {
      [, setconfSeconds] = await timed(() =>
        ns.exec('wg', ['setconf', ifname, many.configFile], { timeoutMs: 600_000 }),
      );
    } catch (error) {
      // The daemon says why in its log (wireguard-go: "too many peers"); wg itself may only die of SIGPIPE.
      const said = daemon.process
        .log()
        .split('\n')
        .filter((line) => /error/i.test(line))
        .pop();
      return { server: server.label, peers, refused: (said ?? (error as Error).message).trim().slice(-100) };
    }
    const residentMb = memoryMb(daemon.pid, 'VmRSS');
    const afterSetconf = (await ping(ns, pair.a.tunnelV4, { count: 3, deadlineSeconds: 10 })).received;
    const cpuBefore = cpuSeconds(daemon.pid);
    await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
    const idleCpu = (cpuSeconds(daemon.pid) - cpuBefore) / IDLE_SECONDS;
    const [, showSeconds] = await timed(() => ns.exec('wg', ['show', ifname, 'dump'], { timeoutMs: 600_000 }));
    const [errno, removeSeconds] = await timed(() => uapiSet(ifname, removalLines(many.publicKeysHex)));
    if (errno !== 0) throw new Error(`${server.label}: removing ${peers} peers was answered errno=${errno}`);
    const afterRemoval = (await ping(pair.a.ns, pair.b.tunnelV4, { count: 3, deadlineSeconds: 10 })).received;
    return {
      server: server.label,
      peers,
      setconfSeconds,
      residentMb,
      peakMb: memoryMb(daemon.pid, 'VmHWM'),
      idleCpu,
      showSeconds,
      removeSeconds,
      pings: { afterSetconf, afterRemoval },
    };
  } finally {
    await lab.cleanup();
  }
}

const fixed = (value: number | undefined, digits: number) =>
  value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);

export function formatScaleTable(results: readonly ScaleResult[]): string {
  const lines = [
    '| server | peers | setconf s | resident MB (peak) | idle CPU | wg show s | remove all but one s | pings after setconf, after removal |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    if (r.refused) {
      lines.push(`| ${r.server} | ${r.peers} | refused: ${r.refused} | – | – | – | – | – |`);
      continue;
    }
    lines.push(
      `| ${r.server} | ${r.peers} | ${fixed(r.setconfSeconds, 2)} | ${fixed(r.residentMb, 0)} (${fixed(r.peakMb, 0)}) | ${fixed((r.idleCpu ?? NaN) * 100, 1)}% | ` +
        `${fixed(r.showSeconds, 2)} | ${fixed(r.removeSeconds, 2)} | ${r.pings ? `${r.pings.afterSetconf}/3, ${r.pings.afterRemoval}/3` : '–'} |`,
    );
  }
  return lines.join('\n');
}
