// Live counters per tunnel and the throughput series the chart draws: one point
// per stats event, rates computed from the growth of the summed peer counters.
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import type { TunnelStats } from '../../../app/src/api/wirefly-api.js';

/** How much history the chart shows. */
export const SERIES_WINDOW_MS = 5 * 60 * 1000;

/** Parallel arrays, the shape uPlot draws without copying. */
export interface ThroughputSeries {
  /** Unix seconds. */
  readonly times: readonly number[];
  /** Bytes per second. */
  readonly rx: readonly number[];
  readonly tx: readonly number[];
}

export interface StatsState {
  readonly latest: Readonly<Record<string, TunnelStats>>;
  readonly series: Readonly<Record<string, ThroughputSeries>>;
  record(stats: TunnelStats): void;
  forget(tunnel: string): void;
}

export type StatsStore = StoreApi<StatsState>;

const EMPTY_SERIES: ThroughputSeries = { times: [], rx: [], tx: [] };

function totals(stats: TunnelStats): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const peer of stats.peers) {
    rx += peer.rxBytes;
    tx += peer.txBytes;
  }
  return { rx, tx };
}

function firstPoint(stats: TunnelStats): ThroughputSeries {
  return { times: [stats.at / 1000], rx: [0], tx: [0] };
}

function appendPoint(
  series: ThroughputSeries,
  previous: TunnelStats | undefined,
  stats: TunnelStats,
): ThroughputSeries {
  if (previous === undefined) return firstPoint(stats);
  const now = totals(stats);
  const before = totals(previous);
  // Counters that went down mean the tunnel came up again: its history starts over.
  if (now.rx < before.rx || now.tx < before.tx) return firstPoint(stats);
  const elapsedSeconds = (stats.at - previous.at) / 1000;
  if (elapsedSeconds <= 0) return series;
  const oldest = (stats.at - SERIES_WINDOW_MS) / 1000;
  const kept = series.times.findIndex((t) => t >= oldest);
  const start = kept === -1 ? series.times.length : kept;
  return {
    times: [...series.times.slice(start), stats.at / 1000],
    rx: [...series.rx.slice(start), (now.rx - before.rx) / elapsedSeconds],
    tx: [...series.tx.slice(start), (now.tx - before.tx) / elapsedSeconds],
  };
}

export function createStatsStore(): StatsStore {
  return createStore<StatsState>()((set, get) => ({
    latest: {},
    series: {},
    record(stats) {
      const { latest, series } = get();
      const previous = latest[stats.tunnel];
      set({
        latest: { ...latest, [stats.tunnel]: stats },
        series: { ...series, [stats.tunnel]: appendPoint(series[stats.tunnel] ?? EMPTY_SERIES, previous, stats) },
      });
    },
    forget(tunnel) {
      const { latest, series } = get();
      if (!(tunnel in latest) && !(tunnel in series)) return;
      const otherLatest = { ...latest };
      const otherSeries = { ...series };
      delete otherLatest[tunnel];
      delete otherSeries[tunnel];
      set({ latest: otherLatest, series: otherSeries });
    },
  }));
}

export function seriesOf(state: StatsState, tunnel: string): ThroughputSeries {
  return state.series[tunnel] ?? EMPTY_SERIES;
}
