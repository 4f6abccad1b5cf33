// Export, QR code, rename and delete, each behind a dialog that says what will happen.
import { useState } from 'react';
import type { TunnelSummary } from '../../../app/src/api/wirefly-api.js';
import { isInterfaceName } from '../../../helper/src/config/index.js';
import { useApi, useAppStore, useStores } from '../app-context.js';
import { errorMessage } from '../actions/errors.js';
import { Dialog } from './Dialog.js';
import { ExportDialog, QrDialog } from './TransferDialogs.js';

export const NAME_RULE = 'Up to 15 letters, digits and _ = + . -, as the interface will be named.';

/** Why `name` cannot name a tunnel, or undefined if it can. */
export function nameProblem(name: string, taken: readonly string[]): string | undefined {
  if (name === '') return 'Give the tunnel a name.';
  if (!isInterfaceName(name)) return NAME_RULE;
  if (taken.includes(name)) return `There is already a tunnel named ${name}.`;
  return undefined;
}

function RenameDialog({ tunnel, onClose }: { readonly tunnel: TunnelSummary; readonly onClose: () => void }) {
  const api = useApi();
  const stores = useStores();
  const names = useAppStore('tunnels', (s) => s.tunnels);
  const [name, setName] = useState(tunnel.name);
  const [failure, setFailure] = useState<string>();
  const problem =
    name === tunnel.name
      ? undefined
      : nameProblem(
          name,
          names.map((t) => t.name),
        );
  const rename = async (): Promise<void> => {
    try {
      await api.renameTunnel(tunnel.name, name);
      stores.tunnels.getState().select(name);
      onClose();
    } catch (error) {
      setFailure(errorMessage(error));
    }
  };
  return (
    <Dialog
      title={`Rename ${tunnel.name}`}
      confirmLabel="Rename"
      confirmDisabled={problem !== undefined || name === tunnel.name}
      onConfirm={() => void rename()}
      onCancel={onClose}
    >
      <label className="form-row">
        <span>New name</span>
        <input
          autoFocus
          value={name}
          onChange={(event) => setName(event.target.value.trim())}
          aria-invalid={problem !== undefined}
          aria-describedby="rename-help"
          spellCheck={false}
        />
      </label>
      <p id="rename-help" className={problem ? 'form-error' : 'muted'}>
        {failure ?? problem ?? NAME_RULE}
      </p>
    </Dialog>
  );
}

function DeleteDialog({ tunnel, onClose }: { readonly tunnel: TunnelSummary; readonly onClose: () => void }) {
  const api = useApi();
  const [failure, setFailure] = useState<string>();
  const remove = async (): Promise<void> => {
    try {
      await api.deleteTunnel(tunnel.name);
      onClose();
    } catch (error) {
      setFailure(errorMessage(error));
    }
  };
  return (
    <Dialog
      title={`Delete ${tunnel.name}?`}
      confirmLabel="Delete"
      danger
      onConfirm={() => void remove()}
      onCancel={onClose}
    >
      <p>
        The configuration and its private key are removed from this computer
        {tunnel.state === 'inactive' ? '' : ', and the tunnel is deactivated'}. Export it first if you may need it
        again.
      </p>
      {failure && (
        <p className="form-error" role="alert">
          {failure}
        </p>
      )}
    </Dialog>
  );
}

export function TunnelMenu({ tunnel }: { readonly tunnel: TunnelSummary }) {
  const [open, setOpen] = useState<'export' | 'qr' | 'rename' | 'delete' | undefined>();
  const close = (): void => setOpen(undefined);
  return (
    <>
      <button type="button" className="button" onClick={() => setOpen('export')}>
        Export…
      </button>
      <button type="button" className="button" onClick={() => setOpen('qr')}>
        QR code
      </button>
      <button type="button" className="button" onClick={() => setOpen('rename')}>
        Rename…
      </button>
      <button type="button" className="button danger-text" onClick={() => setOpen('delete')}>
        Delete…
      </button>
      {open === 'export' && <ExportDialog name={tunnel.name} onClose={close} />}
      {open === 'qr' && <QrDialog name={tunnel.name} onClose={close} />}
      {open === 'rename' && <RenameDialog tunnel={tunnel} onClose={close} />}
      {open === 'delete' && <DeleteDialog tunnel={tunnel} onClose={close} />}
    </>
  );
}
