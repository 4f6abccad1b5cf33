// All renderer state, and the one place that feeds it from WireflyApi events.
import type { LogLine, TunnelSummary, Unsubscribe, WireflyApi } from '../../../app/src/api/wirefly-api.js';
import { createLogsStore } from './logs-store.js';
import type { LogsStore } from './logs-store.js';
import { createStatsStore } from './stats-store.js';
import type { StatsStore } from './stats-store.js';
import { createSystemStore } from './system-store.js';
import type { SystemStore } from './system-store.js';
import { createTunnelsStore } from './tunnels-store.js';
import type { TunnelsStore } from './tunnels-store.js';
import { createUiStore } from './ui-store.js';
import type { UiStore } from './ui-store.js';

export interface Stores {
  readonly tunnels: TunnelsStore;
  readonly stats: StatsStore;
  readonly logs: LogsStore;
  readonly system: SystemStore;
  readonly ui: UiStore;
}

export function createStores(): Stores {
  return {
    tunnels: createTunnelsStore(),
    stats: createStatsStore(),
    logs: createLogsStore(),
    system: createSystemStore(),
    ui: createUiStore(),
  };
}

/** A tunnel's chart starts afresh each time it comes up, and goes when the tunnel goes. */
function forgetStaleStats(stores: Stores, tunnels: readonly TunnelSummary[]): void {
  const states = new Map(tunnels.map((t) => [t.name, t.state]));
  for (const name of Object.keys(stores.stats.getState().latest)) {
    const state = states.get(name);
    if (state === undefined || state === 'activating') stores.stats.getState().forget(name);
  }
}

function applyTunnels(stores: Stores, tunnels: readonly TunnelSummary[]): void {
  forgetStaleStats(stores, tunnels);
  stores.tunnels.getState().setTunnels(tunnels);
}

/**
 * Subscribes first and loads second, so no event falls between the two. Log
 * lines that arrive while the backlog loads are held and appended after it; a
 * list or helper state that arrives by event is newer than the loaded one.
 */
export async function connectStores(api: WireflyApi, stores: Stores): Promise<Unsubscribe> {
  let pendingLines: LogLine[] | undefined = [];
  let heardTunnels = false;
  let heardHelper = false;
  // Installing or removing the service changes what the banner offers; asking is cheap.
  const refreshService = (): void =>
    void api.getHelperService().then(
      (service) => stores.system.getState().setService(service),
      () => undefined,
    );
  const unsubscribers = [
    api.onTunnels((tunnels) => {
      heardTunnels = true;
      applyTunnels(stores, tunnels);
    }),
    api.onStats((stats) => stores.stats.getState().record(stats)),
    api.onHelperState((state) => {
      heardHelper = true;
      stores.system.getState().setHelper(state);
      refreshService();
    }),
    api.onLog((line) => (pendingLines ? pendingLines.push(line) : stores.logs.getState().append(line))),
  ];
  const unsubscribeAll = (): void => unsubscribers.forEach((unsubscribe) => unsubscribe());
  try {
    const [tunnels, settings, helper, backlog] = await Promise.all([
      api.listTunnels(),
      api.getSettings(),
      api.getHelperState(),
      api.getLogs(),
    ]);
    if (!heardTunnels) applyTunnels(stores, tunnels);
    if (!heardHelper) stores.system.getState().setHelper(helper);
    refreshService();
    stores.system.getState().setSettings(settings);
    const lastAt = backlog.at(-1)?.at ?? -Infinity;
    stores.logs.getState().setLines([...backlog, ...pendingLines.filter((line) => line.at > lastAt)]);
    pendingLines = undefined;
  } catch (error) {
    unsubscribeAll();
    throw error;
  }
  return unsubscribeAll;
}
