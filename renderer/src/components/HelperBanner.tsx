// Says when tunnels cannot work because the helper is not there, and offers the fix.
import { useState } from 'react';
import type { HelperState } from '../../../app/src/api/wirefly-api.js';
import { useApi, useAppStore } from '../app-context.js';
import { errorMessage } from '../actions/errors.js';

function explain(helper: HelperState): { text: string; action?: string } | undefined {
  switch (helper.status) {
    case 'running':
      return undefined;
    case 'starting':
      return { text: 'Starting the Wirefly helper…' };
    case 'not-running':
      return { text: 'The Wirefly helper is not running, so tunnels cannot be activated. Starting it asks once for an administrator password.', action: 'Start helper' };
    case 'not-permitted':
      return { text: `The Wirefly helper was not permitted to run: ${helper.message}`, action: 'Try again' };
    case 'incompatible':
      return { text: `The running helper is version ${helper.helperVersion}, but this app needs ${helper.appVersion}.`, action: 'Restart helper' };
  }
}

export function HelperBanner() {
  const api = useApi();
  const helper = useAppStore('system', (s) => s.helper);
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);
  const explanation = helper && explain(helper);
  if (!explanation) return null;
  const start = async (): Promise<void> => {
    setBusy(true);
    setFailure(undefined);
    try {
      await api.startHelper();
    } catch (error) {
      setFailure(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className={`banner ${helper?.status === 'starting' ? 'info' : 'warning'}`} role="alert">
      <span>
        {explanation.text}
        {failure && <span className="banner-failure"> {failure}</span>}
      </span>
      {explanation.action && (
        <button type="button" className="button primary" disabled={busy} onClick={() => void start()}>
          {busy ? 'Starting…' : explanation.action}
        </button>
      )}
    </div>
  );
}
