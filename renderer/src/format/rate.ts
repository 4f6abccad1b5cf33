// Throughput as a person reads it, in bits per second (decimal: kbit/s, Mbit/s,
// as links are sold) or bytes per second (binary: KiB/s, MiB/s, as wg(8)
// counts transfer), and the round ticks of a chart's rate axis in that unit.
import type { RateUnit } from '../../../app/src/api/wirefly-api.js';

const BIT_UNITS = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'] as const;
const BYTE_UNITS = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s', 'TiB/s'] as const;

interface Scale {
  /** Bytes per second in one of `label`. */
  readonly size: number;
  readonly label: string;
}

/** The largest unit in which `bytesPerSecond` is still at least 1. */
function scaleFor(bytesPerSecond: number, unit: RateUnit): Scale {
  const step = unit === 'bits' ? 1000 : 1024;
  const labels = unit === 'bits' ? BIT_UNITS : BYTE_UNITS;
  let size = unit === 'bits' ? 1 / 8 : 1;
  let index = 0;
  while (index < labels.length - 1 && bytesPerSecond >= size * step) {
    size *= step;
    index += 1;
  }
  return { size, label: labels[index]! };
}

function trimmed(value: number, digits: number): string {
  return Number(value.toFixed(digits)).toString();
}

/** "12.4 Mbit/s", "820 KiB/s", "0 bit/s". */
export function formatRate(bytesPerSecond: number, unit: RateUnit): string {
  const rate = Math.max(0, bytesPerSecond);
  const scale = scaleFor(rate, unit);
  const value = rate / scale.size;
  return `${trimmed(value, value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${scale.label}`;
}

export interface RateAxis {
  /** The top of the axis, in bytes per second: a whole number of steps. */
  readonly max: number;
  /** Tick positions in bytes per second, from 0. */
  readonly ticks: readonly number[];
  /** The label of each tick, in one unit for the whole axis. */
  readonly labels: readonly string[];
}

const NICE_STEPS = [1, 2, 2.5, 5, 10] as const;
const TARGET_TICKS = 4;

/** Ticks at round values of one unit (0, 5, 10, 15 Mbit/s) covering `peak`, at least one small unit tall. */
export function rateAxis(peak: number, unit: RateUnit): RateAxis {
  const floor = unit === 'bits' ? 1000 / 8 : 1024;
  const top = Math.max(peak, floor);
  const scale = scaleFor(top, unit);
  const span = top / scale.size;
  const magnitude = 10 ** Math.floor(Math.log10(span / TARGET_TICKS));
  const step = (NICE_STEPS.find((n) => n * magnitude * TARGET_TICKS >= span) ?? 10) * magnitude;
  const count = Math.ceil(span / step - 1e-9);
  const ticks: number[] = [];
  const labels: string[] = [];
  for (let i = 0; i <= count; i++) {
    ticks.push(i * step * scale.size);
    labels.push(`${trimmed(i * step, 3)} ${scale.label}`);
  }
  return { max: count * step * scale.size, ticks, labels };
}
