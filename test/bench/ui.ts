// npm run bench:ui: how smooth the UI stays with 200 tunnels. The real browser
// shell serves the built renderer to headless Chromium over a temporary data
// directory of 200 tunnels; a probe in the page records frame times and long
// tasks while the list first renders, while ArrowDown is held through the whole
// list, while the list is scrolled, and while stats arrive.
//
// STAND-IN STATS: no helper runs here, so the tunnels do not really come up.
// `withStandInStats` below, and only it, marks the chosen tunnels active and
// emits one stats event per second for each of them, with counters that grow
// like a busy link's, through the same WireflyApi events a helper's stats take.
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import type { TunnelStats, TunnelSummary, WireflyApi } from '../../app/src/api/wirefly-api.js';
import { launchChromium } from '../e2e/chromium.js';
import { addFrameProbe, listShownAfterMs, pageNow, summarize } from '../e2e/frame-probe.js';
import type { FrameSummary } from '../e2e/frame-probe.js';
import { startManyTunnelsShell } from '../e2e/many-tunnels.js';

const STATS_INTERVAL_MS = 1000;
const BYTES_PER_SECOND = 2_000_000;

function withStandInStats(api: WireflyApi, active: ReadonlySet<string>): { api: WireflyApi; stop: () => void } {
  const listeners = new Set<(stats: TunnelStats) => void>();
  const startedAt = Date.now();
  const markActive = (tunnels: TunnelSummary[]): TunnelSummary[] =>
    tunnels.map((t) => (active.has(t.name) ? { ...t, state: 'active' } : t));
  const received = new Map<string, number>();
  const timer = setInterval(() => {
    const at = Date.now();
    const seconds = (at - startedAt) / 1000;
    for (const tunnel of active) {
      // Counters only grow: one that went down would mean the tunnel came up again.
      const rxBytes = (received.get(tunnel) ?? 0) + Math.round(BYTES_PER_SECOND * (0.5 + Math.random()));
      received.set(tunnel, rxBytes);
      const stats: TunnelStats = {
        tunnel,
        at,
        peers: [
          {
            publicKey: 'stand-in',
            latestHandshake: startedAt,
            rxBytes,
            txBytes: Math.round((seconds * BYTES_PER_SECOND) / 3),
            allowedIps: ['10.0.0.0/8'],
          },
        ],
      };
      for (const listener of listeners) listener(stats);
    }
  }, STATS_INTERVAL_MS);
  const overrides: Partial<WireflyApi> = {
    listTunnels: async () => markActive(await api.listTunnels()),
    onTunnels: (listener) => api.onTunnels((tunnels) => listener(markActive(tunnels))),
    onStats: (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
  const wrapped = new Proxy(api, {
    get(target, property, receiver) {
      if (property in overrides) return overrides[property as keyof WireflyApi];
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { api: wrapped, stop: () => clearInterval(timer) };
}

interface Phase {
  readonly name: string;
  readonly summary: FrameSummary;
  readonly ms: number;
}

async function measure(page: Page, name: string, action: () => Promise<void>): Promise<Phase> {
  const from = await pageNow(page);
  await action();
  const to = await pageNow(page);
  return { name, summary: await summarize(page, from, to), ms: to - from };
}

function printTable(count: number, active: number, initialRenderMs: number, phases: readonly Phase[]): void {
  console.log(`\nUI with ${count} tunnels, ${active} of them sending stand-in stats at 1 event/s each`);
  console.log(`initial render (navigation to list + detail shown): ${initialRenderMs.toFixed(0)} ms\n`);
  const header = ['phase', 'ms', 'frames', 'max frame ms', 'avg frame ms', 'long tasks >50 ms', 'longest task ms'];
  const rows = phases.map((p) => [
    p.name,
    p.ms.toFixed(0),
    String(p.summary.frames),
    p.summary.maxFrameMs.toFixed(1),
    p.summary.avgFrameMs.toFixed(1),
    String(p.summary.longTasks),
    p.summary.longestTaskMs.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  for (const row of [header, ...rows])
    console.log(
      row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '),
    );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tunnels: { type: 'string', default: '200' },
      active: { type: 'string', default: '20' },
      'stats-seconds': { type: 'string', default: '10' },
    },
  });
  const count = Number(values.tunnels);
  const activeCount = Math.min(Number(values.active), count);
  const statsSeconds = Number(values['stats-seconds']);
  let standIn: ReturnType<typeof withStandInStats> | undefined;
  const shell = await startManyTunnelsShell({
    count,
    wrapApi: (api) => {
      // The first tunnels are the active ones, so the one selected at start shows a live chart.
      standIn = withStandInStats(
        api,
        new Set(Array.from({ length: activeCount }, (_, i) => `wg${String(i + 1).padStart(3, '0')}`)),
      );
      return standIn.api;
    },
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1180, height: 760 } });
    await addFrameProbe(page);
    await page.goto(shell.url);
    const initialRenderMs = await listShownAfterMs(page);
    const listbox = page.getByRole('listbox', { name: 'Tunnels' });
    const phases: Phase[] = [];
    // Page time starts at navigation, so the load is the window from 0 to the list on screen.
    phases.push({ name: 'initial load', summary: await summarize(page, 0, initialRenderMs), ms: initialRenderMs });
    await listbox.focus();
    phases.push(
      await measure(page, `hold ArrowDown x${count - 1}`, async () => {
        for (let i = 1; i < count; i++) await page.keyboard.press('ArrowDown');
        await page.getByRole('heading', { name: shell.names[count - 1] }).waitFor();
      }),
    );
    phases.push(
      await measure(page, 'hold ArrowUp x20 + Home', async () => {
        for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowUp');
        await page.keyboard.press('Home');
        await page.getByRole('heading', { name: shell.names[0] }).waitFor();
      }),
    );
    phases.push(
      await measure(page, 'wheel-scroll the list', async () => {
        await listbox.hover();
        for (let i = 0; i < 40; i++) await page.mouse.wheel(0, 200);
        for (let i = 0; i < 40; i++) await page.mouse.wheel(0, -200);
      }),
    );
    phases.push(
      await measure(page, `stats ${statsSeconds} s, chart shown`, () => page.waitForTimeout(statsSeconds * 1000)),
    );
    const points = Number(await page.locator('.throughput-chart').getAttribute('data-points'));
    if (!(points >= statsSeconds - 2))
      throw new Error(`the chart has ${points} points after ${statsSeconds} s of stats`);
    printTable(count, activeCount, initialRenderMs, phases);
  } finally {
    standIn?.stop();
    await browser.close();
    await shell.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
