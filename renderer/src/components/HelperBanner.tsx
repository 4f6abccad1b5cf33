// Says when tunnels cannot work because the helper is not there, and offers the
// fixes: install it as a service, or start it for this session.
import { useState } from 'react';
import { useApi, useAppStore } from '../app-context.js';
import { errorMessage } from '../actions/errors.js';
import { helperStartPlan, runHelperChoice, type HelperChoice } from '../actions/helper-start.js';

export function HelperBanner() {
  const api = useApi();
  const helper = useAppStore('system', (s) => s.helper);
  const service = useAppStore('system', (s) => s.service);
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState<HelperChoice>();
  const plan = helperStartPlan(helper, service);
  if (!plan) return null;
  const run = async (choice: HelperChoice): Promise<void> => {
    setBusy(choice);
    setFailure(undefined);
    try {
      await runHelperChoice(api, choice);
    } catch (error) {
      setFailure(errorMessage(error));
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <div className={`banner ${helper?.status === 'starting' ? 'info' : 'warning'}`} role="alert">
      <span>
        {plan.text}
        {failure && <span className="banner-failure"> {failure}</span>}
      </span>
      {plan.choices.length > 0 && (
        <span className="banner-actions">
          {plan.choices.map(({ label, choice }, index) => (
            <button
              key={choice}
              type="button"
              className={`button ${index === 0 ? 'primary' : ''}`}
              disabled={busy !== undefined}
              onClick={() => void run(choice)}
            >
              {busy === choice ? (choice === 'install' ? 'Installing…' : 'Starting…') : label}
            </button>
          ))}
        </span>
      )}
    </div>
  );
}
