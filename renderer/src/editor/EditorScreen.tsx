// Editing a tunnel, or creating one: the text with live errors and warnings, the
// public key derived as the private key is typed, a fresh key pair on request,
// the kill switch for full-tunnel configs, and a save that refuses invalid text.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ConfigIssue } from '../../../app/src/api/wirefly-api.js';
import { useApi, useAppStore, useStores } from '../app-context.js';
import { errorMessage } from '../actions/errors.js';
import { CopyButton } from '../components/CopyButton.js';
import { Dialog } from '../components/Dialog.js';
import { nameProblem, NAME_RULE } from '../components/TunnelMenu.js';
import type { Editing } from '../state/ui-store.js';
import { analyzeConfig } from './config-analysis.js';
import { ConfigEditor } from './ConfigEditor.js';
import type { ConfigEditorHandle } from './ConfigEditor.js';
import { IssueList } from './IssueList.js';
import { newPrivateKeyText, newTunnelText, privateKeyEdit } from './private-key.js';

function useInitialText(editing: Editing): { text?: string; error?: string } {
  const api = useApi();
  const [initial, setInitial] = useState<{ text?: string; error?: string }>(() =>
    editing.kind === 'new' ? { text: newTunnelText() } : {},
  );
  useEffect(() => {
    if (editing.kind !== 'edit') return;
    let current = true;
    api.getConfig(editing.name).then(
      (text) => current && setInitial({ text }),
      (error: unknown) => current && setInitial({ error: errorMessage(error) }),
    );
    return () => {
      current = false;
    };
  }, [api, editing]);
  return initial;
}

function isSaveShortcut(event: KeyboardEvent): boolean {
  return (event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 's';
}

interface LoadedEditorProps {
  readonly editing: Editing;
  readonly initialText: string;
}

function LoadedEditor({ editing, initialText }: LoadedEditorProps) {
  const api = useApi();
  const stores = useStores();
  const tunnels = useAppStore('tunnels', (s) => s.tunnels);
  const killSwitchDefault = useAppStore('system', (s) => s.settings?.killSwitchDefault ?? false);
  const existing = editing.kind === 'edit' ? tunnels.find((t) => t.name === editing.name) : undefined;
  const [text, setText] = useState(initialText);
  const [name, setName] = useState('');
  const [killSwitch, setKillSwitch] = useState(existing?.killSwitch ?? killSwitchDefault);
  const [refusal, setRefusal] = useState<{ message: string; issues?: readonly ConfigIssue[] }>();
  const [saving, setSaving] = useState(false);
  const editor = useRef<ConfigEditorHandle>(null);
  const analysis = useMemo(() => analyzeConfig(text), [text]);
  const problemWithName =
    editing.kind === 'new'
      ? nameProblem(
          name,
          tunnels.map((t) => t.name),
        )
      : undefined;
  const title = editing.kind === 'new' ? 'New tunnel' : `Edit ${editing.name}`;

  const errorsText = `${analysis.errorCount === 1 ? 'an error' : `${analysis.errorCount} errors`}, marked in red at ${analysis.errorCount === 1 ? 'its line' : 'their lines'}`;
  const saveBlocked =
    problemWithName !== undefined
      ? `Saving needs a valid name: ${problemWithName}`
      : analysis.errorCount > 0
        ? `Fix ${errorsText}, to save.`
        : undefined;
  const pendingLeave = useAppStore('ui', (s) => s.pendingLeave);

  useEffect(() => {
    stores.ui.getState().setEditorDirty(text !== initialText || (editing.kind === 'new' && name !== ''));
  }, [stores, text, initialText, editing.kind, name]);

  const save = async (): Promise<boolean> => {
    if (saving) return false;
    if (problemWithName) return (setRefusal({ message: problemWithName }), false);
    if (analysis.errorCount > 0) {
      setRefusal({ message: `Not saved: the configuration has ${errorsText}.` });
      return false;
    }
    setSaving(true);
    try {
      const target = editing.kind === 'new' ? name : editing.name;
      const result = editing.kind === 'new' ? await api.createTunnel(target, text) : await api.saveConfig(target, text);
      if (!result.saved) {
        setRefusal({ message: 'Not saved: the configuration was refused.', issues: result.issues });
        return false;
      }
      if (analysis.fullTunnel && killSwitch !== (existing?.killSwitch ?? false))
        await api.setKillSwitch(target, killSwitch);
      stores.tunnels.getState().select(target);
      stores.ui.getState().edit(undefined);
      stores.ui.getState().notify('info', `Saved ${target}.`);
      return true;
    } catch (error) {
      setRefusal({ message: `Not saved: ${errorMessage(error)}` });
      return false;
    } finally {
      setSaving(false);
    }
  };
  const saveRef = useRef(save);
  saveRef.current = save;

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent): void => {
      if (!isSaveShortcut(event)) return;
      event.preventDefault();
      void saveRef.current();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);

  const generateKeyPair = (): void => {
    const edit = privateKeyEdit(text, newPrivateKeyText());
    editor.current?.replace(edit.from, edit.to, edit.insert);
  };

  /** Save, then go where the person was going; a refused save keeps them in the editor, its reason shown. */
  const saveAndLeave = async (): Promise<void> => {
    const go = stores.ui.getState().pendingLeave;
    stores.ui.getState().settleLeave(false);
    if ((await save()) && go) go();
  };

  const onChange = (next: string): void => {
    setText(next);
    setRefusal(undefined);
  };

  return (
    <>
      <form className="editor-screen" aria-label={title} onSubmit={(event) => (event.preventDefault(), void save())}>
        <header className="detail-header">
          <h2>{title}</h2>
          <div className="detail-actions">
            <button type="button" className="button" onClick={() => stores.ui.getState().edit(undefined)}>
              Cancel
            </button>
            <button
              type="submit"
              className="button primary"
              disabled={saving || saveBlocked !== undefined}
              aria-keyshortcuts="Control+S Meta+S"
              aria-describedby={saveBlocked ? 'save-blocked' : undefined}
            >
              {saving ? 'Saving…' : 'Save'}
            </button>
          </div>
        </header>
        {saveBlocked && !refusal && (
          <p id="save-blocked" className="save-blocked muted" data-testid="save-blocked">
            {saveBlocked}
          </p>
        )}
        {editing.kind === 'new' && (
          <label className="form-row">
            <span>Name</span>
            <input
              value={name}
              onChange={(event) => (setName(event.target.value.trim()), setRefusal(undefined))}
              placeholder="wg0"
              spellCheck={false}
              aria-invalid={name !== '' && problemWithName !== undefined}
              aria-describedby="name-help"
              autoFocus
            />
            <span id="name-help" className={name !== '' && problemWithName ? 'form-error' : 'muted'}>
              {name !== '' && problemWithName ? problemWithName : NAME_RULE}
            </span>
          </label>
        )}
        <div className="form-row">
          <span id="public-key-label">Public key</span>
          <span className="key-text" aria-labelledby="public-key-label">
            <code data-testid="derived-public-key">{analysis.publicKey ?? 'No valid PrivateKey yet'}</code>
            {analysis.publicKey && <CopyButton text={analysis.publicKey} label="Copy public key" />}
            <button type="button" className="button small" onClick={generateKeyPair}>
              Generate key pair
            </button>
          </span>
        </div>
        {analysis.fullTunnel && (
          <label className="checkbox-row">
            <input type="checkbox" checked={killSwitch} onChange={(event) => setKillSwitch(event.target.checked)} />
            <span>
              Block untunneled traffic (kill switch)
              <span className="muted"> — while active, nothing leaves except through the tunnel.</span>
            </span>
          </label>
        )}
        {refusal && (
          <div className="inline-alert error" role="alert">
            {refusal.message}
            {refusal.issues && refusal.issues.length > 0 && (
              <ul>
                {refusal.issues.map((issue, index) => (
                  <li key={index}>{issue.line > 0 ? `Line ${issue.line}: ${issue.message}` : issue.message}</li>
                ))}
              </ul>
            )}
          </div>
        )}
        <ConfigEditor
          ref={editor}
          initialText={initialText}
          issues={analysis.issues}
          onChange={onChange}
          label={`Configuration of ${editing.kind === 'new' ? 'the new tunnel' : editing.name}`}
        />
        <IssueList issues={analysis.issues} onGoToLine={(line) => editor.current?.goToLine(line)} />
      </form>
      {/* Outside the editor's form: a form inside a form would submit both. */}
      {pendingLeave && (
        <Dialog
          title={editing.kind === 'new' ? 'Save the new tunnel?' : `Save the changes to ${editing.name}?`}
          confirmLabel="Save"
          confirmDisabled={saveBlocked !== undefined}
          onConfirm={() => void saveAndLeave()}
          cancelLabel="Keep editing"
          onCancel={() => stores.ui.getState().settleLeave(false)}
          alternative={{ label: 'Discard changes', onChoose: () => stores.ui.getState().settleLeave(true) }}
        >
          <p>
            {saveBlocked
              ? `The changes cannot be saved as they are: ${saveBlocked} Or discard them.`
              : 'The changes are not saved yet. Save them, or discard them and leave the editor.'}
          </p>
        </Dialog>
      )}
    </>
  );
}

export function EditorScreen({ editing }: { readonly editing: Editing }) {
  const initial = useInitialText(editing);
  if (initial.error)
    return (
      <div className="inline-alert error" role="alert">
        The configuration could not be loaded: {initial.error}
      </div>
    );
  if (initial.text === undefined) return <p className="muted">Loading…</p>;
  return <LoadedEditor editing={editing} initialText={initial.text} />;
}
