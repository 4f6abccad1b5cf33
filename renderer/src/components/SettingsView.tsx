// Launch at login, the kill switch default, the theme, and the helper service;
// each change is saved at once.
import { useState } from 'react';
import type { RateUnit, Settings, Theme } from '../../../app/src/api/wirefly-api.js';
import { useApi, useAppStore, useStores } from '../app-context.js';
import { errorMessage } from '../actions/errors.js';
import { KillSwitchModeSetting } from './KillSwitchModeSetting.js';

const THEMES: readonly { value: Theme; label: string }[] = [
  { value: 'system', label: 'Same as the system' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

/** Installing the service is also offered here, for a helper already started for this session (the banner is gone then). */
function HelperServiceSetting() {
  const api = useApi();
  const stores = useStores();
  const service = useAppStore('system', (s) => s.service);
  const [outcome, setOutcome] = useState<string>();
  const [busy, setBusy] = useState(false);
  if (!service) return null;
  const install = async (): Promise<void> => {
    setBusy(true);
    try {
      await api.installHelperService();
      stores.system.getState().setService(await api.getHelperService());
      setOutcome('Installed: the helper starts with the computer.');
    } catch (error) {
      setOutcome(`Not installed: ${errorMessage(error)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <fieldset className="setting-group helper-service-setting">
      <legend>Helper service</legend>
      {service.kind === 'installed' && (
        <p>Installed: the helper starts with the computer and connects the tunnels marked to connect at boot.</p>
      )}
      {service.kind === 'unavailable' && <p className="muted">Not available: {service.reason}</p>}
      {service.kind === 'requires-approval' && (
        <p>
          <button type="button" className="button" disabled={busy} onClick={() => void install()}>
            Open Login Items
          </button>
          <span className="muted"> Installed, and waiting for you to allow Wirefly there; then it starts.</span>
        </p>
      )}
      {service.kind === 'installable' && (
        <p>
          <button type="button" className="button" disabled={busy} onClick={() => void install()}>
            {busy ? 'Installing…' : 'Install the helper service'}
          </button>
          <span className="muted"> One administrator password; then the helper starts with the computer.</span>
          {service.reason && <span className="muted"> It asks for it because {service.reason}</span>}
        </p>
      )}
      {outcome && <p role="status">{outcome}</p>}
    </fieldset>
  );
}

const RATE_UNITS: readonly { value: RateUnit; label: string }[] = [
  { value: 'bits', label: 'Bits per second (kbit/s, Mbit/s), as network speeds are sold' },
  { value: 'bytes', label: 'Bytes per second (KiB/s, MiB/s), as file sizes are counted' },
];

export function SettingsView() {
  const api = useApi();
  const stores = useStores();
  const settings = useAppStore('system', (s) => s.settings);
  if (!settings) return <p className="muted">Loading…</p>;

  const change = async (patch: Partial<Settings>): Promise<void> => {
    const next = { ...settings, ...patch };
    const { setSettings } = stores.system.getState();
    setSettings(next);
    try {
      await api.saveSettings(next);
    } catch (error) {
      setSettings(settings);
      stores.ui.getState().notify('error', `Settings not saved: ${errorMessage(error)}`);
    }
  };

  return (
    <section className="settings card" aria-labelledby="settings-heading">
      <h2 id="settings-heading">Settings</h2>
      <label className="checkbox-row">
        <input
          type="checkbox"
          checked={settings.launchAtLogin}
          onChange={(event) => void change({ launchAtLogin: event.target.checked })}
        />
        <span>Launch Wirefly when I log in</span>
      </label>
      <label className="checkbox-row">
        <input
          type="checkbox"
          checked={settings.killSwitchDefault}
          onChange={(event) => void change({ killSwitchDefault: event.target.checked })}
        />
        <span>
          Block untunneled traffic for new full-tunnel configurations
          <span className="muted"> — the kill switch; each tunnel can still turn it off in its editor.</span>
        </span>
      </label>
      <fieldset className="setting-group">
        <legend>Theme</legend>
        {THEMES.map((theme) => (
          <label key={theme.value} className="radio-row">
            <input
              type="radio"
              name="theme"
              value={theme.value}
              checked={settings.theme === theme.value}
              onChange={() => void change({ theme: theme.value })}
            />
            <span>{theme.label}</span>
          </label>
        ))}
      </fieldset>
      <fieldset className="setting-group">
        <legend>Throughput</legend>
        {RATE_UNITS.map((unit) => (
          <label key={unit.value} className="radio-row">
            <input
              type="radio"
              name="rate-unit"
              value={unit.value}
              checked={settings.rateUnit === unit.value}
              onChange={() => void change({ rateUnit: unit.value })}
            />
            <span>{unit.label}</span>
          </label>
        ))}
      </fieldset>
      <HelperServiceSetting />
      <KillSwitchModeSetting />
    </section>
  );
}
