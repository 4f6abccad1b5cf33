// The kill switch beyond one tunnel, kept by the helper: Always on blocks
// untunneled traffic whenever no tunnel is up (from boot, while connecting,
// after the helper stopped), Allow LAN lets the local network through.
import { useEffect, useState } from 'react';
import type { KillSwitchPolicy } from '../../../app/src/api/wirefly-api.js';
import { useApi, useAppStore } from '../app-context.js';
import { errorMessage } from '../actions/errors.js';

export function KillSwitchModeSetting() {
  const api = useApi();
  const helperRunning = useAppStore('system', (s) => s.helper?.status === 'running');
  const [policy, setPolicy] = useState<KillSwitchPolicy>();
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!helperRunning) return;
    let current = true;
    api.getKillSwitchPolicy().then(
      (read) => current && setPolicy(read),
      (error: unknown) => current && setFailure(errorMessage(error)),
    );
    return () => {
      current = false;
    };
  }, [api, helperRunning]);
  const change = async (next: KillSwitchPolicy): Promise<void> => {
    setBusy(true);
    setFailure(undefined);
    try {
      setPolicy(await api.setKillSwitchPolicy(next));
    } catch (error) {
      setFailure(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };
  const disabled = !helperRunning || !policy || busy;
  return (
    <fieldset className="setting-group kill-switch-mode-setting">
      <legend>Kill switch</legend>
      <label>
        <input
          type="checkbox"
          checked={policy?.mode === 'always-on'}
          disabled={disabled}
          onChange={(event) => policy && void change({ ...policy, mode: event.target.checked ? 'always-on' : 'off' })}
        />
        Always on: block traffic outside a tunnel whenever none is up, from when the computer starts
      </label>
      <label>
        <input
          type="checkbox"
          checked={policy?.allowLan ?? false}
          disabled={disabled}
          onChange={(event) => policy && void change({ ...policy, allowLan: event.target.checked })}
        />
        Allow LAN: the local network (printers, file shares) stays reachable; its DNS does not
      </label>
      {!helperRunning && <p className="muted">Shown once the helper runs: it keeps these.</p>}
      {failure && (
        <p className="form-error" role="alert">
          {failure}
        </p>
      )}
    </fieldset>
  );
}
