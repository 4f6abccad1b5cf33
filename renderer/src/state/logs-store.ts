// Helper and app log lines, newest last, bounded, with the view's filter.
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import type { LogLevel, LogLine } from '../../../app/src/api/wirefly-api.js';

export const MAX_LOG_LINES = 5000;

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface LogFilter {
  /** undefined shows every tunnel and the lines about no tunnel. */
  readonly tunnel: string | undefined;
  /** The least severe level shown. */
  readonly minLevel: LogLevel;
}

export interface LogsState {
  readonly lines: readonly LogLine[];
  readonly filter: LogFilter;
  setLines(lines: readonly LogLine[]): void;
  append(line: LogLine): void;
  setFilter(filter: Partial<LogFilter>): void;
}

export type LogsStore = StoreApi<LogsState>;

function bounded(lines: readonly LogLine[]): readonly LogLine[] {
  return lines.length > MAX_LOG_LINES ? lines.slice(lines.length - MAX_LOG_LINES) : lines;
}

export function createLogsStore(): LogsStore {
  return createStore<LogsState>()((set, get) => ({
    lines: [],
    filter: { tunnel: undefined, minLevel: 'info' },
    setLines(lines) {
      set({ lines: bounded(lines) });
    },
    append(line) {
      set({ lines: bounded([...get().lines, line]) });
    },
    setFilter(filter) {
      set({ filter: { ...get().filter, ...filter } });
    },
  }));
}

export function matchesFilter(line: LogLine, filter: LogFilter): boolean {
  if (LOG_LEVELS.indexOf(line.level) < LOG_LEVELS.indexOf(filter.minLevel)) return false;
  return filter.tunnel === undefined || line.tunnel === filter.tunnel;
}

export function filteredLines(lines: readonly LogLine[], filter: LogFilter): readonly LogLine[] {
  return lines.filter((line) => matchesFilter(line, filter));
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Local time with milliseconds: log lines are read next to other local logs. */
export function formatLogTime(at: number): string {
  const d = new Date(at);
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** One line of the text that Copy and Save produce. */
export function formatLogLine(line: LogLine): string {
  const where = line.tunnel === undefined ? line.source : `${line.source} ${line.tunnel}`;
  return `${formatLogTime(line.at)} [${line.level}] ${where}: ${line.message}`;
}
