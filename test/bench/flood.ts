// The flood case of npm run bench: how much of a tunnel's TCP throughput a
// server keeps while 20,000 handshake initiations a second with a valid MAC1
// arrive from thousands of spoofed sources, whether a new peer still gets its
// handshake done during the flood and after it, and whether memory stays flat.
import { readFileSync } from 'node:fs';
import { addLateClient, HandshakeFlood, timeFirstHandshake } from '../integration/harness/flood.js';
import { Lab } from '../integration/harness/lab.js';
import { createTunnelPair } from '../integration/harness/pair.js';
import { udpReceiveErrors } from '../integration/harness/snmp.js';
import type { WireGuardImplementation } from '../integration/harness/wireguard.js';
import { iperfTcp, pingRtt } from './measure.js';

export interface FloodResult {
  readonly pair: string;
  readonly rate: number;
  readonly seconds: number;
  readonly floodSent: number;
  readonly cleanMbps: number;
  readonly floodedMbps: number;
  /** floodedMbps / cleanMbps. */
  readonly keptShare: number;
  /** TCP retransmits of the clean and the flooded run. */
  readonly retransmits: { readonly clean: number; readonly flooded: number };
  /** Datagrams the server's kernel dropped for want of room in the socket during the flood. */
  readonly serverSocketDrops: number;
  /** A new peer's first handshake (and ping) started a third into the flood; undefined if it did not complete. */
  readonly handshakeDuringMs: number | undefined;
  /** The same for another new peer once the flood is over. */
  readonly handshakeAfterMs: number | undefined;
  /** The server's resident memory before and after the flood, and its peak. */
  readonly serverRssMb: { readonly before: number; readonly after: number; readonly peak: number };
}

export interface FloodOptions {
  readonly rate: number;
  readonly seconds: number;
}

const HANDSHAKE_DEADLINE_SECONDS = 20;

function memoryMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function measureFlood(
  client: WireGuardImplementation,
  server: WireGuardImplementation,
  options: FloodOptions,
): Promise<FloodResult> {
  const lab = await Lab.create();
  try {
    const pair = await createTunnelPair(lab, client, server);
    const flood = await HandshakeFlood.prepare(lab, pair.b);
    const during = await addLateClient(lab, client, pair.b, '10.77.0.3');
    const after = await addLateClient(lab, client, pair.b, '10.77.0.4');
    await pingRtt(pair.a.ns, pair.b.tunnelV4, 3);
    const clean = await iperfTcp(pair, pair.a, options.seconds);
    const pid = pair.b.daemon.pid;
    const rssBefore = memoryMb(pid, 'VmRSS');
    const dropsBefore = await udpReceiveErrors(pair.b.ns);

    const flooding = flood.start(options);
    const flooded = iperfTcp(pair, pair.a, options.seconds);
    await sleep((options.seconds * 1000) / 3);
    const handshakeDuringMs = await timeFirstHandshake(during, HANDSHAKE_DEADLINE_SECONDS);
    const [tcp, floodSent] = await Promise.all([flooded, flooding.sent]);
    const serverSocketDrops = (await udpReceiveErrors(pair.b.ns)) - dropsBefore;
    // Out of "under load", which outlasts the flood by a second, before the next new peer comes.
    await sleep(2_000);
    const handshakeAfterMs = await timeFirstHandshake(after, HANDSHAKE_DEADLINE_SECONDS);
    return {
      pair: `${client.label}→${server.label}`,
      rate: options.rate,
      seconds: options.seconds,
      floodSent,
      cleanMbps: clean.gbps * 1000,
      floodedMbps: tcp.gbps * 1000,
      keptShare: tcp.gbps / clean.gbps,
      retransmits: { clean: clean.retransmits, flooded: tcp.retransmits },
      serverSocketDrops,
      handshakeDuringMs,
      handshakeAfterMs,
      serverRssMb: { before: rssBefore, after: memoryMb(pid, 'VmRSS'), peak: memoryMb(pid, 'VmHWM') },
    };
  } finally {
    await lab.cleanup();
  }
}

const fixed = (value: number | undefined, digits: number) =>
  value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);

export function formatFloodTable(results: readonly FloodResult[]): string {
  const lines = [
    "| client→server | flood sent | clean Mbit/s | flooded Mbit/s | kept | retransmits clean, flooded | server socket drops | new peer's handshake during, after (ms) | server RSS MB before → after (peak) |",
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.pair} | ${r.floodSent} in ${r.seconds} s | ${fixed(r.cleanMbps, 0)} | ${fixed(r.floodedMbps, 0)} | ${fixed(r.keptShare * 100, 0)}% | ` +
        `${r.retransmits.clean}, ${r.retransmits.flooded} | ${r.serverSocketDrops} | ` +
        `${fixed(r.handshakeDuringMs, 0)}, ${fixed(r.handshakeAfterMs, 0)} | ${fixed(r.serverRssMb.before, 0)} → ${fixed(r.serverRssMb.after, 0)} (${fixed(r.serverRssMb.peak, 0)}) |`,
    );
  }
  return lines.join('\n');
}
