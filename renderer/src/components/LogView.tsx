// Helper and app log lines, filtered by tunnel and level, to copy or save.
import { useMemo } from 'react';
import type { LogLevel } from '../../../app/src/api/wirefly-api.js';
import { useAppStore, useStores } from '../app-context.js';
import { saveDownload } from '../actions/transfer.js';
import { filteredLines, formatLogLine, formatLogTime, LOG_LEVELS } from '../state/logs-store.js';

/** The DOM holds at most this many lines; Copy and Save still take them all. */
const SHOWN_LINES = 1000;

export function LogView() {
  const stores = useStores();
  const lines = useAppStore('logs', (s) => s.lines);
  const filter = useAppStore('logs', (s) => s.filter);
  const tunnels = useAppStore('tunnels', (s) => s.tunnels);
  const visible = useMemo(() => filteredLines(lines, filter), [lines, filter]);
  const shown = visible.slice(-SHOWN_LINES);
  const text = (): string => visible.map(formatLogLine).join('\n') + '\n';
  const { setFilter } = stores.logs.getState();
  const notify = stores.ui.getState().notify;

  return (
    <section className="log-view" aria-labelledby="log-heading">
      <header className="detail-header">
        <h2 id="log-heading">Log</h2>
        <div className="detail-actions">
          <label className="inline-field">
            <span>Tunnel</span>
            <select
              value={filter.tunnel ?? ''}
              onChange={(event) => setFilter({ tunnel: event.target.value === '' ? undefined : event.target.value })}
            >
              <option value="">All</option>
              {tunnels.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
          <label className="inline-field">
            <span>Level</span>
            <select
              value={filter.minLevel}
              onChange={(event) => setFilter({ minLevel: event.target.value as LogLevel })}
            >
              {LOG_LEVELS.map((level) => (
                <option key={level} value={level}>
                  {level === 'debug' ? 'Everything' : `${level} and above`}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="button"
            onClick={() =>
              void navigator.clipboard.writeText(text()).then(
                () => notify('info', `Copied ${visible.length} log lines.`),
                () => notify('error', 'The clipboard is not available.'),
              )
            }
          >
            Copy
          </button>
          <button
            type="button"
            className="button"
            onClick={() => saveDownload(`wirefly-${new Date().toISOString().slice(0, 10)}.log`, text(), 'text/plain')}
          >
            Save…
          </button>
        </div>
      </header>
      <div className="log-lines" role="log" aria-label="Log lines" tabIndex={0}>
        {shown.length === 0 && <p className="muted empty-log">No log lines match the filter.</p>}
        {shown.map((line, index) => (
          <div key={visible.length - shown.length + index} className={`log-line level-${line.level}`}>
            <time dateTime={new Date(line.at).toISOString()}>{formatLogTime(line.at)}</time>
            <span className="log-level">{line.level}</span>
            <span className="log-source">{line.tunnel ? `${line.source} · ${line.tunnel}` : line.source}</span>
            <span className="log-message">{line.message}</span>
          </div>
        ))}
      </div>
    </section>
  );
}
