import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogLine, TunnelStats, TunnelSummary } from '../../app/src/api/wirefly-api.js';
import { createTunnelsStore } from '../../renderer/src/state/tunnels-store.js';
import { createStatsStore, SERIES_WINDOW_MS, seriesOf } from '../../renderer/src/state/stats-store.js';
import { createLogsStore, filteredLines, formatLogLine, MAX_LOG_LINES } from '../../renderer/src/state/logs-store.js';
import { connectStores, createStores } from '../../renderer/src/state/stores.js';
import { FakeApi } from './renderer-fake-api.js';

const tunnel = (name: string, state: TunnelSummary['state'] = 'inactive'): TunnelSummary => ({
  name,
  state,
  killSwitch: false,
  connectAtBoot: false,
  owned: true,
});

function stats(at: number, rxBytes: number, txBytes: number, name = 'wg0'): TunnelStats {
  return { tunnel: name, at, peers: [{ publicKey: 'k', rxBytes, txBytes, allowedIps: [] }] };
}

const line = (at: number, level: LogLine['level'], tunnelName?: string): LogLine => ({
  at,
  level,
  source: 'helper',
  message: `line at ${at}`,
  ...(tunnelName === undefined ? {} : { tunnel: tunnelName }),
});

test('the tunnel list is sorted by name, numbers in order, and the first tunnel is selected', () => {
  const store = createTunnelsStore();
  assert.equal(store.getState().loaded, false);
  store.getState().setTunnels([tunnel('wg10'), tunnel('wg2'), tunnel('alpha')]);
  assert.deepEqual(
    store.getState().tunnels.map((t) => t.name),
    ['alpha', 'wg2', 'wg10'],
  );
  assert.equal(store.getState().selected, 'alpha');
  assert.equal(store.getState().loaded, true);
});

test('the selection stays on its tunnel, and moves to the row that took its place when it goes', () => {
  const store = createTunnelsStore();
  store.getState().setTunnels([tunnel('a'), tunnel('b'), tunnel('c')]);
  store.getState().select('b');
  store.getState().setTunnels([tunnel('a'), tunnel('b', 'active'), tunnel('c')]);
  assert.equal(store.getState().selected, 'b');
  store.getState().setTunnels([tunnel('a'), tunnel('c')]);
  assert.equal(store.getState().selected, 'c');
  store.getState().setTunnels([]);
  assert.equal(store.getState().selected, undefined);
});

test('moving the selection stops at either end', () => {
  const store = createTunnelsStore();
  store.getState().setTunnels([tunnel('a'), tunnel('b'), tunnel('c')]);
  store.getState().moveSelection(1);
  assert.equal(store.getState().selected, 'b');
  store.getState().moveSelection(5);
  assert.equal(store.getState().selected, 'c');
  store.getState().moveSelection(-10);
  assert.equal(store.getState().selected, 'a');
});

test('failures are kept per tunnel until cleared', () => {
  const store = createTunnelsStore();
  store.getState().setFailure('wg0', 'helper not running');
  assert.deepEqual(store.getState().failures, { wg0: 'helper not running' });
  store.getState().setFailure('wg0', undefined);
  assert.deepEqual(store.getState().failures, {});
});

test('throughput is the growth of the summed counters per second', () => {
  const store = createStatsStore();
  store.getState().record(stats(10_000, 100, 50));
  store.getState().record(stats(12_000, 2_100, 1_050));
  const series = seriesOf(store.getState(), 'wg0');
  assert.deepEqual(series.times, [10, 12]);
  assert.deepEqual(series.rx, [0, 1000]);
  assert.deepEqual(series.tx, [0, 500]);
  assert.equal(store.getState().latest['wg0']?.at, 12_000);
});

test('the series keeps only the window, and starts over when counters go back', () => {
  const store = createStatsStore();
  const start = 1_000_000;
  for (let i = 0; i <= 400; i++) store.getState().record(stats(start + i * 1000, i * 10, i * 20));
  const series = seriesOf(store.getState(), 'wg0');
  assert.equal(series.times.length, SERIES_WINDOW_MS / 1000 + 1);
  assert.equal(series.times[0], (start + 400_000 - SERIES_WINDOW_MS) / 1000);
  assert.ok(series.rx.every((rate) => rate === 10));
  store.getState().record(stats(start + 401_000, 5, 5));
  assert.deepEqual(seriesOf(store.getState(), 'wg0').times, [(start + 401_000) / 1000]);
});

test('a repeated or out-of-order stats event adds no point', () => {
  const store = createStatsStore();
  store.getState().record(stats(5_000, 0, 0));
  store.getState().record(stats(5_000, 10, 10));
  assert.equal(seriesOf(store.getState(), 'wg0').times.length, 1);
});

test('forgetting a tunnel drops its counters and series and leaves others', () => {
  const store = createStatsStore();
  store.getState().record(stats(1000, 1, 1, 'a'));
  store.getState().record(stats(1000, 1, 1, 'b'));
  store.getState().forget('a');
  assert.deepEqual(Object.keys(store.getState().latest), ['b']);
  assert.deepEqual(Object.keys(store.getState().series), ['b']);
});

test('logs are bounded, filtered by tunnel and least level, and formatted for copying', () => {
  const store = createLogsStore();
  store.getState().setLines(Array.from({ length: MAX_LOG_LINES + 10 }, (_, i) => line(i, 'info')));
  assert.equal(store.getState().lines.length, MAX_LOG_LINES);
  assert.equal(store.getState().lines[0]?.at, 10);
  const lines = [line(1, 'debug', 'wg0'), line(2, 'info', 'wg0'), line(3, 'error', 'wg1'), line(4, 'warn')];
  assert.deepEqual(
    filteredLines(lines, { tunnel: undefined, minLevel: 'info' }).map((l) => l.at),
    [2, 3, 4],
  );
  assert.deepEqual(
    filteredLines(lines, { tunnel: 'wg0', minLevel: 'debug' }).map((l) => l.at),
    [1, 2],
  );
  assert.deepEqual(
    filteredLines(lines, { tunnel: undefined, minLevel: 'warn' }).map((l) => l.at),
    [3, 4],
  );
  assert.match(
    formatLogLine(line(Date.UTC(2026, 0, 2), 'error', 'wg1')),
    /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[error\] helper wg1: line at \d+$/,
  );
});

test('connectStores loads the state, follows events, and unsubscribes', async () => {
  const api = new FakeApi();
  api.tunnels = [tunnel('wg0')];
  api.logs = [line(1, 'info')];
  api.helper = { status: 'not-running' };
  const stores = createStores();
  const unsubscribe = await connectStores(api, stores);
  assert.deepEqual(
    stores.tunnels.getState().tunnels.map((t) => t.name),
    ['wg0'],
  );
  assert.deepEqual(stores.system.getState().helper, { status: 'not-running' });
  assert.equal(stores.system.getState().settings?.theme, 'system');
  assert.equal(stores.logs.getState().lines.length, 1);

  api.emitTunnels([tunnel('wg0', 'active'), tunnel('wg1')]);
  api.emitStats(stats(1000, 10, 10));
  api.emitLog(line(2, 'warn'));
  api.emitHelper({ status: 'running', version: '1' });
  assert.equal(stores.tunnels.getState().tunnels[0]?.state, 'active');
  assert.ok(stores.stats.getState().latest['wg0']);
  assert.equal(stores.logs.getState().lines.length, 2);
  assert.equal(stores.system.getState().helper?.status, 'running');

  // Coming up again starts a fresh chart; a removed tunnel's chart goes.
  api.emitTunnels([tunnel('wg0', 'activating')]);
  assert.equal(stores.stats.getState().latest['wg0'], undefined);

  unsubscribe();
  assert.equal(api.listenerCount(), 0);
});

test('events that arrive while connectStores loads win over the loaded answers', async () => {
  const api = new FakeApi();
  api.tunnels = [tunnel('old')];
  api.logs = [line(1, 'info')];
  const stores = createStores();
  const connecting = connectStores(api, stores);
  api.emitTunnels([tunnel('new')]);
  api.emitLog(line(1, 'info'));
  api.emitLog(line(2, 'info'));
  await connecting;
  assert.deepEqual(
    stores.tunnels.getState().tunnels.map((t) => t.name),
    ['new'],
  );
  assert.deepEqual(
    stores.logs.getState().lines.map((l) => l.at),
    [1, 2],
  );
});

test('connectStores lets go of its listeners when loading fails', async () => {
  const api = new FakeApi();
  api.getSettings = async () => {
    throw new Error('settings unreadable');
  };
  await assert.rejects(connectStores(api, createStores()), /settings unreadable/);
  assert.equal(api.listenerCount(), 0);
});
