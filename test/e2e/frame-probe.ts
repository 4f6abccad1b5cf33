// Watches a page's smoothness from inside Chromium: every animation frame's
// timestamp (requestAnimationFrame) and every long task (PerformanceObserver
// 'longtask': main-thread work over 50 ms). Phases are read as windows of
// page time, so one probe serves a whole session.
import type { Page } from 'playwright-core';

interface Probe {
  readonly frames: number[];
  readonly longTasks: { readonly start: number; readonly duration: number }[];
  /** Page time of the first frame showing the list with a tunnel's detail. */
  listShownAt: number | undefined;
}

declare global {
  interface Window {
    __wireflyProbe?: Probe;
  }
}

/** Runs in the page before its own scripts; must not refer to anything outside itself. */
function installProbe(): void {
  const probe: Probe = { frames: [], longTasks: [], listShownAt: undefined };
  window.__wireflyProbe = probe;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) probe.longTasks.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: 'longtask', buffered: true });
  const tick = (now: number): void => {
    probe.frames.push(now);
    if (
      probe.listShownAt === undefined &&
      document.querySelector('[role="option"]') &&
      document.getElementById('detail-heading')
    )
      probe.listShownAt = now;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

export interface FrameSummary {
  readonly frames: number;
  readonly maxFrameMs: number;
  readonly avgFrameMs: number;
  /** Tasks over 50 ms, the browser's own definition of a long task. */
  readonly longTasks: number;
  readonly longestTaskMs: number;
}

export async function addFrameProbe(page: Page): Promise<void> {
  await page.addInitScript(installProbe);
}

export function pageNow(page: Page): Promise<number> {
  return page.evaluate(() => performance.now());
}

/** Milliseconds from navigation to the list and a selected tunnel on screen. */
export async function listShownAfterMs(page: Page): Promise<number> {
  await page.waitForFunction(() => window.__wireflyProbe?.listShownAt !== undefined);
  return page.evaluate(() => window.__wireflyProbe?.listShownAt ?? NaN);
}

/** Frames and long tasks between two page times. */
export function summarize(page: Page, from: number, to: number): Promise<FrameSummary> {
  return page.evaluate(
    ([start, end]) => {
      const probe = window.__wireflyProbe;
      if (!probe) throw new Error('the frame probe is not installed');
      const times = probe.frames.filter((t) => t >= start && t <= end);
      const gaps = times.slice(1).map((t, i) => t - (times[i] ?? t));
      const tasks = probe.longTasks.filter((task) => task.start >= start && task.start <= end);
      return {
        frames: gaps.length,
        maxFrameMs: gaps.length > 0 ? Math.max(...gaps) : NaN,
        avgFrameMs: gaps.length > 0 ? gaps.reduce((a, b) => a + b, 0) / gaps.length : NaN,
        longTasks: tasks.length,
        longestTaskMs: tasks.length > 0 ? Math.max(...tasks.map((task) => task.duration)) : 0,
      };
    },
    [from, to] as const,
  );
}
