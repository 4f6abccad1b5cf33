// Received and sent bytes per second over the last minutes, drawn by uPlot.
// The chart is fed straight from the stats store, not through React renders:
// with many active tunnels a stats event redraws one canvas and nothing else.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import { useAppStore, useStores } from '../app-context.js';
import { formatBytes, formatRate } from '../format/bytes.js';
import { seriesOf } from '../state/stats-store.js';
import type { ThroughputSeries } from '../state/stats-store.js';

const CHART_HEIGHT = 180;
const RX_COLOR = '#2f80ed';
const TX_COLOR = '#27ae60';

function chartData(series: ThroughputSeries): uPlot.AlignedData {
  return [series.times as number[], series.rx as number[], series.tx as number[]];
}

/** Axis and grid colours as the current theme resolves them on the chart's own element. */
function themeColors(element: HTMLElement): { text: string; grid: string } {
  const style = getComputedStyle(element);
  return { text: style.color, grid: style.borderTopColor };
}

function chartOptions(width: number, colors: { text: string; grid: string }): uPlot.Options {
  const axis: uPlot.Axis = {
    stroke: colors.text,
    grid: { stroke: colors.grid, width: 1 },
    ticks: { stroke: colors.grid, width: 1 },
  };
  return {
    width,
    height: CHART_HEIGHT,
    legend: { show: true, live: false },
    cursor: { drag: { x: false, y: false } },
    // At least a minute across, so a tunnel that just came up is not drawn at millisecond scale.
    scales: {
      x: { time: true, range: (_u, min, max) => [Math.min(min, max - 60), max] },
      y: { range: (_u, _min, max) => [0, Math.max(max, 1024)] },
    },
    axes: [axis, { ...axis, size: 80, values: (_u, ticks) => ticks.map((v) => formatBytes(v) + '/s') }],
    series: [
      {},
      {
        label: 'Received',
        stroke: RX_COLOR,
        fill: `${RX_COLOR}22`,
        width: 2,
        value: (_u, v) => (v == null ? '–' : formatRate(v)),
      },
      {
        label: 'Sent',
        stroke: TX_COLOR,
        fill: `${TX_COLOR}22`,
        width: 2,
        value: (_u, v) => (v == null ? '–' : formatRate(v)),
      },
    ],
  };
}

export function ThroughputChart({ tunnel }: { readonly tunnel: string }) {
  const stores = useStores();
  const theme = useAppStore('system', (s) => s.settings?.theme);
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = host.current!;
    const make = (): uPlot =>
      new uPlot(
        chartOptions(element.clientWidth, themeColors(element)),
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
  }, [stores, tunnel, theme]);

  return (
    <div
      className="throughput-chart"
      ref={host}
      role="img"
      aria-label={`Throughput of ${tunnel}: received and sent bytes per second`}
    />
  );
}
