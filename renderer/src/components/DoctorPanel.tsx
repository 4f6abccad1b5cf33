// The connection doctor in the tunnel's detail: why it does not connect or
// carry traffic, in plain words, with what to check. The helper runs it by
// itself when a tunnel gets no handshake within 10 s (its verdict then comes
// with the tunnel's state), or when asked here.
import { useState } from 'react';
import type { Diagnosis, TunnelSummary } from '../../../app/src/api/wirefly-api.js';
import { useApi, useAppStore } from '../app-context.js';
import { errorMessage } from '../actions/errors.js';
import { CopyButton } from './CopyButton.js';

export function DoctorPanel({ tunnel }: { readonly tunnel: TunnelSummary }) {
  const api = useApi();
  const helperRunning = useAppStore('system', (s) => s.helper?.status === 'running');
  const [asked, setAsked] = useState<Diagnosis>();
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);
  const known = tunnel.state !== 'inactive';
  const shown = [asked, tunnel.diagnosis].filter((d): d is Diagnosis => d !== undefined).sort((a, b) => b.at - a.at)[0];
  const run = async (): Promise<void> => {
    setBusy(true);
    setFailure(undefined);
    try {
      setAsked(await api.diagnose(tunnel.name));
    } catch (error) {
      setFailure(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card doctor" aria-labelledby="doctor-heading">
      <h3 id="doctor-heading">Connection doctor</h3>
      {shown ? (
        <div role="status" className={`doctor-verdict doctor-${shown.cause === 'ok' ? 'ok' : 'problem'}`}>
          <p>
            <strong>{shown.summary}</strong>
          </p>
          <p>{shown.advice}</p>
          {shown.publicKey && shown.cause === 'no-reply' && (
            <p className="key-text">
              This tunnel&apos;s public key: <code>{shown.publicKey}</code>
              <CopyButton text={shown.publicKey} label="Copy this tunnel's public key" />
            </p>
          )}
          <details>
            <summary>What the doctor saw</summary>
            <ul>
              {shown.evidence.map((line, index) => (
                <li key={index}>{line}</li>
              ))}
            </ul>
          </details>
        </div>
      ) : (
        <p className="muted">
          Checks the server&apos;s name, the route, the handshake, the way back, packet sizes and DNS.
        </p>
      )}
      <button type="button" disabled={!helperRunning || busy} onClick={() => void run()}>
        {busy ? 'Checking…' : 'Diagnose'}
      </button>
      {!known && <span className="muted"> For a tunnel that is up, or one that just failed to come up.</span>}
      {failure && (
        <span className="form-error" role="alert">
          {' '}
          {failure}
        </span>
      )}
    </section>
  );
}
