// The dialogs around moving tunnels in and out: the warning that an export
// holds private keys, the questions an import asks (a taken name, a name that
// had to change), and a tunnel as a QR code for a phone's WireGuard app.
import { useEffect, useRef, useState } from 'react';
import QRCode from 'qrcode';
import type { ImportAnswer, ImportQuestion } from '../../../app/src/api/wirefly-api.js';
import { isInterfaceName } from '../../../helper/src/config/index.js';
import { useApi, useAppStore, useStores } from '../app-context.js';
import { errorMessage } from '../actions/errors.js';
import { answerImport, exportTunnels } from '../actions/transfer.js';
import { Dialog } from './Dialog.js';
import { NAME_RULE } from './TunnelMenu.js';

const KEY_WARNING =
  'holds private keys: anyone who gets the file can use the tunnel as this computer. Keep it where only you can read it, and delete copies you no longer need.';

/** `name` undefined: every tunnel, as a zip. */
export function ExportDialog({ name, onClose }: { readonly name?: string; readonly onClose: () => void }) {
  const api = useApi();
  const stores = useStores();
  return (
    <Dialog
      title={name === undefined ? 'Export all tunnels?' : `Export ${name}?`}
      confirmLabel="Export"
      onConfirm={() => {
        onClose();
        void exportTunnels(api, stores, name);
      }}
      onCancel={onClose}
    >
      <p className="key-warning" role="note">
        {name === undefined ? 'The archive' : `${name}.conf`} {KEY_WARNING}
      </p>
    </Dialog>
  );
}

function QuestionRow({
  question,
  answer,
  onAnswer,
}: {
  readonly question: ImportQuestion;
  readonly answer: ImportAnswer;
  readonly onAnswer: (answer: ImportAnswer) => void;
}) {
  const group = `import-${question.source}`;
  const choice = (action: ImportAnswer['action'], label: string) => (
    <label className="radio-row">
      <input
        type="radio"
        name={group}
        checked={answer.action === action}
        // Replacing means the tunnel of the asked-about name, whatever the field below says.
        onChange={() => onAnswer({ action, name: action === 'replace' ? question.name : answer.name })}
      />
      <span>{label}</span>
    </label>
  );
  return (
    <fieldset className="import-question" data-testid="import-question">
      <legend>{question.source}</legend>
      {question.renamedFrom !== undefined && (
        <p className="muted">
          “{question.renamedFrom}” cannot name a tunnel ({NAME_RULE.toLowerCase().replace(/\.$/, '')}).
        </p>
      )}
      <label className="form-row">
        <span>Import as</span>
        <input
          value={answer.action === 'replace' ? question.name : answer.name}
          disabled={answer.action !== 'keep-both'}
          spellCheck={false}
          aria-invalid={!isInterfaceName(answer.name)}
          onChange={(event) => onAnswer({ ...answer, name: event.target.value.trim() })}
        />
      </label>
      {question.taken ? (
        <>
          <p>A tunnel named {question.name} already exists.</p>
          {choice('replace', `Replace ${question.name} with this one`)}
          {choice('keep-both', 'Keep both (the new one gets a free name)')}
        </>
      ) : (
        choice('keep-both', `Import it as ${answer.name || '…'}`)
      )}
      {choice('skip', 'Do not import it')}
    </fieldset>
  );
}

export function ImportQuestionsDialog() {
  const api = useApi();
  const stores = useStores();
  const asked = useAppStore('ui', (s) => s.importQuestions);
  const [answers, setAnswers] = useState<Record<string, ImportAnswer>>({});
  useEffect(() => {
    setAnswers(
      Object.fromEntries((asked?.questions ?? []).map((q) => [q.source, { action: 'keep-both', name: q.name }])),
    );
  }, [asked]);
  if (!asked) return null;
  const invalid = Object.values(answers).some((a) => a.action !== 'skip' && !isInterfaceName(a.name));
  return (
    <Dialog
      title={asked.questions.length === 1 ? 'Import this tunnel?' : `Import ${asked.questions.length} tunnels?`}
      confirmLabel="Import"
      confirmDisabled={invalid || Object.keys(answers).length !== asked.questions.length}
      onConfirm={() => void answerImport(api, stores, asked.files, answers)}
      onCancel={() => stores.ui.getState().askImport(undefined)}
    >
      {asked.questions.map((question) => (
        <QuestionRow
          key={question.source}
          question={question}
          answer={answers[question.source] ?? { action: 'keep-both', name: question.name }}
          onAnswer={(answer) => setAnswers((current) => ({ ...current, [question.source]: answer }))}
        />
      ))}
      {invalid && <p className="form-error">{NAME_RULE}</p>}
    </Dialog>
  );
}

/** The config as a QR code, the way WireGuard's phone apps import a tunnel ("Scan from QR code"). */
export function QrDialog({ name, onClose }: { readonly name: string; readonly onClose: () => void }) {
  const api = useApi();
  const canvas = useRef<HTMLCanvasElement>(null);
  const [failure, setFailure] = useState<string>();
  useEffect(() => {
    let current = true;
    api
      .getConfig(name)
      .then(async (text) => {
        if (current && canvas.current)
          await QRCode.toCanvas(canvas.current, text, { errorCorrectionLevel: 'L', margin: 2, scale: 4 });
      })
      .catch((error: unknown) => current && setFailure(errorMessage(error)));
    return () => {
      current = false;
    };
  }, [api, name]);
  return (
    <Dialog title={`${name} as a QR code`} confirmLabel="Done" onConfirm={onClose} onCancel={onClose} hideCancel>
      <p className="muted">In the WireGuard app on a phone: add a tunnel, then “Scan from QR code”.</p>
      {failure ? (
        <p className="form-error" role="alert">
          The QR code could not be made: {failure}
        </p>
      ) : (
        <canvas ref={canvas} className="qr-code" data-testid="qr-code" role="img" aria-label={`QR code of ${name}`} />
      )}
      <p className="key-warning" role="note">
        The code {KEY_WARNING.replace('the file', 'a picture of it')}
      </p>
    </Dialog>
  );
}
