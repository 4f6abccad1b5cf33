// What the app knows about its surroundings: the helper's state, whether it can
// run as a service, and the user's settings.
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import type { HelperService, HelperState, Settings } from '../../../app/src/api/wirefly-api.js';

export interface SystemState {
  /** undefined until the main process has answered. */
  readonly helper: HelperState | undefined;
  /** Whether the helper can run as a system service here; undefined until asked. */
  readonly service: HelperService | undefined;
  readonly settings: Settings | undefined;
  setHelper(helper: HelperState): void;
  setService(service: HelperService): void;
  setSettings(settings: Settings): void;
}

export type SystemStore = StoreApi<SystemState>;

export function createSystemStore(): SystemStore {
  return createStore<SystemState>()((set) => ({
    helper: undefined,
    service: undefined,
    settings: undefined,
    setHelper(helper) {
      set({ helper });
    },
    setService(service) {
      set({ service });
    },
    setSettings(settings) {
      set({ settings });
    },
  }));
}
