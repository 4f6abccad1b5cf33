// The recent log lines of the app and the helper, for the log view: a bounded
// buffer (oldest dropped first) that also tells listeners about each new line.
import type { LogLine, Unsubscribe } from '../api/wirefly-api.js';
import { Listeners } from './listeners.js';

export const LOG_CAPACITY = 2000;

export class LogBuffer {
  private readonly lines: LogLine[] = [];
  private readonly listeners = new Listeners<LogLine>();

  constructor(private readonly capacity = LOG_CAPACITY) {}

  add(line: LogLine): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
    this.listeners.emit(line);
  }

  app(level: LogLine['level'], message: string, tunnel?: string): void {
    this.add({ at: Date.now(), level, source: 'app', message, ...(tunnel === undefined ? {} : { tunnel }) });
  }

  recent(): LogLine[] {
    return [...this.lines];
  }

  onLine(listener: (line: LogLine) => void): Unsubscribe {
    return this.listeners.add(listener);
  }
}
