// CodeMirror as a React component. The document belongs to CodeMirror; the
// parent hears every change and hands back the issues to mark, so the marks and
// the issue list below the editor always come from the same analysis.
import { useEffect, useImperativeHandle, useRef } from 'react';
import type { Ref } from 'react';
import { EditorState } from '@codemirror/state';
import {
  EditorView,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
  tooltips,
} from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { autocompletion, completionKeymap } from '@codemirror/autocomplete';
import { lintGutter, setDiagnostics } from '@codemirror/lint';
import type { ConfigIssue } from '../../../app/src/api/wirefly-api.js';
import { editorTheme } from './editor-theme.js';
import { issueToDiagnostic } from './issue-diagnostics.js';
import { wgQuick } from './wg-quick-language.js';

export interface ConfigEditorHandle {
  replace(from: number, to: number, insert: string): void;
  /** Puts the cursor at the start of a 1-based line and scrolls it into view. */
  goToLine(line: number): void;
  focus(): void;
}

interface ConfigEditorProps {
  /** The text when mounted; later changes come from the user or the handle. */
  readonly initialText: string;
  readonly issues: readonly ConfigIssue[];
  readonly onChange: (text: string) => void;
  readonly label: string;
  readonly ref?: Ref<ConfigEditorHandle>;
}

export function ConfigEditor({ initialText, issues, onChange, label, ref }: ConfigEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  useEffect(() => {
    const listener = EditorView.updateListener.of((update) => {
      if (update.docChanged) onChangeRef.current(update.state.doc.toString());
    });
    const created = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: initialText,
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          lintGutter(),
          history(),
          drawSelection(),
          highlightActiveLine(),
          autocompletion(),
          keymap.of([...completionKeymap, ...defaultKeymap, ...historyKeymap]),
          wgQuick(),
          editorTheme,
          EditorView.lineWrapping,
          // Lint tooltips stay within the editor's own box instead of running past its edge.
          tooltips({ tooltipSpace: (current) => current.dom.getBoundingClientRect() }),
          EditorView.contentAttributes.of({ 'aria-label': label, spellcheck: 'false', autocapitalize: 'off' }),
          listener,
        ],
      }),
    });
    view.current = created;
    return () => {
      created.destroy();
      view.current = null;
    };
    // Made once per mount: a different document is a different key on the component.
  }, []);

  useEffect(() => {
    const current = view.current;
    if (!current) return;
    const diagnostics = issues.map((issue) => issueToDiagnostic(current.state.doc, issue));
    current.dispatch(setDiagnostics(current.state, diagnostics));
  }, [issues]);

  useImperativeHandle(ref, () => ({
    replace(from, to, insert) {
      view.current?.dispatch({ changes: { from, to, insert } });
    },
    goToLine(line) {
      const current = view.current;
      if (!current) return;
      const target = current.state.doc.line(Math.min(Math.max(line, 1), current.state.doc.lines));
      current.dispatch({ selection: { anchor: target.from }, scrollIntoView: true });
      current.focus();
    },
    focus() {
      view.current?.focus();
    },
  }));

  return <div className="config-editor" ref={host} />;
}
