// Received and sent throughput over the last minutes, drawn by uPlot, with the
// current rate of each direction in numbers above it and the values under the
// pointer in its legend. The chart is fed straight from the stats store, not
// through React renders: with many active tunnels a stats event redraws one
// canvas and nothing else.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import type { RateUnit } from '../../../app/src/api/wirefly-api.js';
import { useAppStore, useStores } from '../app-context.js';
import { formatRate, rateAxis } from '../format/rate.js';
import { seriesOf, SERIES_WINDOW_MS } from '../state/stats-store.js';
import type { ThroughputSeries } from '../state/stats-store.js';

const CHART_HEIGHT = 180;
const RX_COLOR = '#2f80ed';
const TX_COLOR = '#27ae60';
const WINDOW_SECONDS = SERIES_WINDOW_MS / 1000;
const MINUTE = 60;
/** Width of one character of the axis font, and the gap beside the labels, for sizing the rate axis to its labels. */
const LABEL_CHAR_PX = 7;
const LABEL_GAP_PX = 18;

function chartData(series: ThroughputSeries): uPlot.AlignedData {
  return [series.times as number[], series.rx as number[], series.tx as number[]];
}

/** Axis and grid colours as the current theme resolves them on the chart's own element. */
function themeColors(element: HTMLElement): { text: string; grid: string } {
  const style = getComputedStyle(element);
  return { text: style.color, grid: style.borderTopColor };
}

function clockLabel(seconds: number): string {
  return new Date(seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** The window ends at the newest point (or now, before there is one) and reaches back a fixed few minutes. */
function timeRange(u: uPlot): [number, number] {
  // uPlot asks for sizes and ranges while it is still being built, before it holds any data.
  const times = u.data?.[0] ?? [];
  const end = times.length > 0 ? times[times.length - 1]! : Date.now() / 1000;
  return [end - WINDOW_SECONDS, end];
}

function peakOf(u: uPlot): number {
  let peak = 0;
  for (const values of [u.data?.[1], u.data?.[2]]) for (const v of values ?? []) if (v != null && v > peak) peak = v;
  return peak;
}

/** What the chart drew, on its element: end-to-end tests read the axes there, since uPlot paints them on a canvas. */
function describeAxes(element: HTMLElement, u: uPlot, unit: RateUnit): void {
  const { min = 0, max = 0 } = u.scales['x'] ?? {};
  element.dataset['timeSpan'] = String(Math.round((max ?? 0) - (min ?? 0)));
  element.dataset['rateTicks'] = rateAxis(peakOf(u), unit).labels.join('|');
}

function chartOptions(element: HTMLElement, colors: { text: string; grid: string }, unit: RateUnit): uPlot.Options {
  const axis: uPlot.Axis = {
    stroke: colors.text,
    grid: { stroke: colors.grid, width: 1 },
    ticks: { stroke: colors.grid, width: 1 },
  };
  const rate = (_u: uPlot, v: number | null): string => (v == null ? '–' : formatRate(v, unit));
  return {
    width: element.clientWidth,
    height: CHART_HEIGHT,
    hooks: { draw: [(u) => describeAxes(element, u, unit)] },
    legend: { show: true, live: true },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: (u) => timeRange(u) },
      y: { range: (u) => [0, rateAxis(peakOf(u), unit).max] },
    },
    axes: [
      {
        ...axis,
        // One tick a minute, on the minute.
        splits: (_u, _i, min, max) => {
          const ticks: number[] = [];
          for (let t = Math.ceil(min / MINUTE) * MINUTE; t <= max; t += MINUTE) ticks.push(t);
          return ticks;
        },
        values: (_u, ticks) => ticks.map(clockLabel),
      },
      {
        ...axis,
        splits: (u) => [...rateAxis(peakOf(u), unit).ticks],
        values: (u) => [...rateAxis(peakOf(u), unit).labels],
        // As wide as its longest label, so that none is clipped.
        size: (u, values) =>
          Math.max(...(values ?? rateAxis(peakOf(u), unit).labels).map((v) => String(v).length)) * LABEL_CHAR_PX +
          LABEL_GAP_PX,
      },
    ],
    series: [
      { value: (_u, v) => (v == null ? '–' : new Date(v * 1000).toLocaleTimeString()) },
      { label: 'Received', stroke: RX_COLOR, fill: `${RX_COLOR}22`, width: 2, value: rate },
      { label: 'Sent', stroke: TX_COLOR, fill: `${TX_COLOR}22`, width: 2, value: rate },
    ],
  };
}

/** The rate of each direction at the newest point, in numbers. */
function CurrentRates({ tunnel, unit }: { readonly tunnel: string; readonly unit: RateUnit }) {
  const rx = useAppStore('stats', (s) => seriesOf(s, tunnel).rx.at(-1) ?? 0);
  const tx = useAppStore('stats', (s) => seriesOf(s, tunnel).tx.at(-1) ?? 0);
  return (
    <p className="current-rates">
      <span className="rate rate-rx">
        <span aria-hidden="true">↓ </span>Receiving <strong data-testid="rate-rx">{formatRate(rx, unit)}</strong>
      </span>
      <span className="rate rate-tx">
        <span aria-hidden="true">↑ </span>Sending <strong data-testid="rate-tx">{formatRate(tx, unit)}</strong>
      </span>
    </p>
  );
}

export function ThroughputChart({ tunnel }: { readonly tunnel: string }) {
  const stores = useStores();
  const theme = useAppStore('system', (s) => s.settings?.theme);
  const unit = useAppStore('system', (s) => s.settings?.rateUnit ?? 'bits');
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = host.current!;
    const make = (): uPlot =>
      new uPlot(
        chartOptions(element, themeColors(element), unit),
        chartData(seriesOf(stores.stats.getState(), tunnel)),
        element,
      );
    let plot = make();
    const remake = (): void => {
      plot.destroy();
      plot = make();
    };
    // The point count on the element lets end-to-end tests see the chart grow.
    const showCount = (series: ThroughputSeries): void =>
      void (element.dataset['points'] = String(series.times.length));
    showCount(seriesOf(stores.stats.getState(), tunnel));
    const unsubscribe = stores.stats.subscribe((state, previous) => {
      const series = seriesOf(state, tunnel);
      if (series === seriesOf(previous, tunnel)) return;
      plot.setData(chartData(series));
      showCount(series);
    });
    const resizes = new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height: CHART_HEIGHT }));
    resizes.observe(element);
    const scheme = matchMedia('(prefers-color-scheme: dark)');
    scheme.addEventListener('change', remake);
    return () => {
      unsubscribe();
      resizes.disconnect();
      scheme.removeEventListener('change', remake);
      plot.destroy();
    };
  }, [stores, tunnel, theme, unit]);

  return (
    <>
      <CurrentRates tunnel={tunnel} unit={unit} />
      <div
        className="throughput-chart"
        ref={host}
        role="img"
        aria-label={`Throughput of ${tunnel}: received and sent ${unit === 'bits' ? 'bits' : 'bytes'} per second over the last ${WINDOW_SECONDS / MINUTE} minutes`}
      />
    </>
  );
}
