// Where the person is in the app: which screen, whether the editor is open, and
// the short notices that report what an action did.
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';

export type Screen = 'tunnels' | 'log' | 'settings';

export type Editing = { readonly kind: 'edit'; readonly name: string } | { readonly kind: 'new' };

export interface Notice {
  readonly id: number;
  readonly tone: 'info' | 'error';
  readonly text: string;
}

export interface UiState {
  readonly screen: Screen;
  readonly editing: Editing | undefined;
  readonly notices: readonly Notice[];
  show(screen: Screen): void;
  edit(editing: Editing | undefined): void;
  notify(tone: Notice['tone'], text: string): void;
  dismiss(id: number): void;
}

export type UiStore = StoreApi<UiState>;

export function createUiStore(): UiStore {
  let nextId = 1;
  return createStore<UiState>()((set, get) => ({
    screen: 'tunnels',
    editing: undefined,
    notices: [],
    show(screen) {
      set({ screen });
    },
    edit(editing) {
      set({ editing, screen: 'tunnels' });
    },
    notify(tone, text) {
      set({ notices: [...get().notices, { id: nextId++, tone, text }] });
    },
    dismiss(id) {
      set({ notices: get().notices.filter((notice) => notice.id !== id) });
    },
  }));
}
