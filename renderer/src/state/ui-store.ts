// Where the person is in the app: which screen, whether the editor is open, and
// the short notices that report what an action did.
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import type { ImportedFile, ImportQuestion } from '../../../app/src/api/wirefly-api.js';

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
  /** Whether the open editor holds changes that are not saved. */
  readonly editorDirty: boolean;
  /** Where the person asked to go while the editor held unsaved changes: asked about before it happens. */
  readonly pendingLeave: (() => void) | undefined;
  readonly notices: readonly Notice[];
  /** Imported files with configs the person is asked about (a taken name, a changed name). */
  readonly importQuestions:
    { readonly files: readonly ImportedFile[]; readonly questions: readonly ImportQuestion[] } | undefined;
  askImport(questions: UiState['importQuestions']): void;
  show(screen: Screen): void;
  edit(editing: Editing | undefined): void;
  setEditorDirty(dirty: boolean): void;
  /** Runs `go` now, or once the person has chosen to save or discard the editor's changes. */
  leaveEditor(go: () => void): void;
  /** Answers the question leaveEditor asked: go on (after a save or a discard), or stay. */
  settleLeave(go: boolean): void;
  notify(tone: Notice['tone'], text: string): void;
  dismiss(id: number): void;
}

export type UiStore = StoreApi<UiState>;

export function createUiStore(): UiStore {
  let nextId = 1;
  return createStore<UiState>()((set, get) => ({
    screen: 'tunnels',
    editing: undefined,
    editorDirty: false,
    pendingLeave: undefined,
    notices: [],
    importQuestions: undefined,
    askImport(importQuestions) {
      set({ importQuestions });
    },
    show(screen) {
      set({ screen });
    },
    edit(editing) {
      set({ editing, screen: 'tunnels', editorDirty: false, pendingLeave: undefined });
    },
    setEditorDirty(editorDirty) {
      if (get().editorDirty !== editorDirty) set({ editorDirty });
    },
    leaveEditor(go) {
      const { editing, editorDirty } = get();
      if (editing && editorDirty) set({ pendingLeave: go });
      else go();
    },
    settleLeave(go) {
      const pending = get().pendingLeave;
      set({ pendingLeave: undefined });
      if (go && pending) {
        // Discarded: the editor closes, then the person goes where they were going.
        set({ editorDirty: false, editing: undefined });
        pending();
      }
    },
    notify(tone, text) {
      set({ notices: [...get().notices, { id: nextId++, tone, text }] });
    },
    dismiss(id) {
      set({ notices: get().notices.filter((notice) => notice.id !== id) });
    },
  }));
}
