// The tunnel list as the main process last announced it, and which one is selected.
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import type { TunnelSummary } from '../../../app/src/api/wirefly-api.js';

export interface TunnelsState {
  readonly tunnels: readonly TunnelSummary[];
  /** False until the first list arrives, so the empty state is not flashed at start. */
  readonly loaded: boolean;
  readonly selected: string | undefined;
  /** Why the last activate or deactivate the user asked for was refused, by tunnel. */
  readonly failures: Readonly<Record<string, string>>;
  setTunnels(tunnels: readonly TunnelSummary[]): void;
  select(name: string | undefined): void;
  /** Moves the selection by `delta` rows, stopping at either end. */
  moveSelection(delta: number): void;
  setFailure(name: string, message: string | undefined): void;
}

export type TunnelsStore = StoreApi<TunnelsState>;

const byName = (a: TunnelSummary, b: TunnelSummary): number =>
  a.name.localeCompare(b.name, undefined, { numeric: true });

/** Keeps the selection on its tunnel; if that went away, on the row that took its place. */
function keptSelection(
  previous: readonly TunnelSummary[],
  next: readonly TunnelSummary[],
  selected: string | undefined,
): string | undefined {
  if (next.length === 0) return undefined;
  if (selected !== undefined && next.some((t) => t.name === selected)) return selected;
  const oldIndex = previous.findIndex((t) => t.name === selected);
  const index = Math.min(Math.max(oldIndex, 0), next.length - 1);
  return next[index]?.name;
}

export function createTunnelsStore(): TunnelsStore {
  return createStore<TunnelsState>()((set, get) => ({
    tunnels: [],
    loaded: false,
    selected: undefined,
    failures: {},
    setTunnels(tunnels) {
      const sorted = [...tunnels].sort(byName);
      const { tunnels: previous, selected } = get();
      set({ tunnels: sorted, loaded: true, selected: keptSelection(previous, sorted, selected) });
    },
    select(name) {
      set({ selected: name });
    },
    moveSelection(delta) {
      const { tunnels, selected } = get();
      if (tunnels.length === 0) return;
      const current = tunnels.findIndex((t) => t.name === selected);
      const from = current === -1 ? (delta > 0 ? -1 : tunnels.length) : current;
      const index = Math.min(Math.max(from + delta, 0), tunnels.length - 1);
      set({ selected: tunnels[index]?.name });
    },
    setFailure(name, message) {
      const failures = { ...get().failures };
      if (message === undefined) delete failures[name];
      else failures[name] = message;
      set({ failures });
    },
  }));
}
