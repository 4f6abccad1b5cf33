// What the app knows about its surroundings: the helper's state and the user's settings.
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import type { HelperState, Settings } from '../../../app/src/api/wirefly-api.js';

export interface SystemState {
  /** undefined until the main process has answered. */
  readonly helper: HelperState | undefined;
  readonly settings: Settings | undefined;
  setHelper(helper: HelperState): void;
  setSettings(settings: Settings): void;
}

export type SystemStore = StoreApi<SystemState>;

export function createSystemStore(): SystemStore {
  return createStore<SystemState>()((set) => ({
    helper: undefined,
    settings: undefined,
    setHelper(helper) {
      set({ helper });
    },
    setSettings(settings) {
      set({ settings });
    },
  }));
}
