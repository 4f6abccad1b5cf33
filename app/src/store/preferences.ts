// The app's settings and per-tunnel choices (the kill switch), in one small JSON
// file next to the tunnels, written atomically. Unknown or damaged content falls
// back to defaults field by field rather than failing the app.
import { readFile } from 'node:fs/promises';
import type { Settings, Theme } from '../api/wirefly-api.js';
import { writeFileAtomic } from '../../../helper/src/os/atomic-file.js';
import { SerialQueue } from './serial-queue.js';

export const DEFAULT_SETTINGS: Settings = {
  launchAtLogin: false,
  killSwitchDefault: true,
  theme: 'system',
  rateUnit: 'bits',
};

interface PreferencesData {
  readonly settings: Settings;
  readonly killSwitch: Readonly<Record<string, boolean>>;
}

const THEMES: readonly Theme[] = ['system', 'light', 'dark'];

export class Preferences {
  private readonly queue = new SerialQueue();

  private constructor(
    private readonly path: string,
    private data: PreferencesData,
  ) {}

  static async open(path: string): Promise<Preferences> {
    return new Preferences(path, await readPreferences(path));
  }

  get settings(): Settings {
    return this.data.settings;
  }

  killSwitch(tunnel: string): boolean {
    return this.data.killSwitch[tunnel] ?? false;
  }

  saveSettings(settings: Settings): Promise<void> {
    return this.change((data) => ({ ...data, settings: sanitizeSettings(settings) }));
  }

  setKillSwitch(tunnel: string, on: boolean): Promise<void> {
    return this.change((data) => ({ ...data, killSwitch: { ...data.killSwitch, [tunnel]: on } }));
  }

  renameTunnel(from: string, to: string): Promise<void> {
    return this.change((data) => {
      const { [from]: value, ...rest } = data.killSwitch;
      return { ...data, killSwitch: value === undefined ? rest : { ...rest, [to]: value } };
    });
  }

  forgetTunnel(tunnel: string): Promise<void> {
    return this.change((data) => {
      const killSwitch = { ...data.killSwitch };
      delete killSwitch[tunnel];
      return { ...data, killSwitch };
    });
  }

  private change(update: (data: PreferencesData) => PreferencesData): Promise<void> {
    return this.queue.run(async () => {
      const next = update(this.data);
      await writeFileAtomic(this.path, JSON.stringify(next, null, 2) + '\n');
      this.data = next;
    });
  }
}

async function readPreferences(path: string): Promise<PreferencesData> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return { settings: DEFAULT_SETTINGS, killSwitch: {} };
  }
  const record = isRecord(raw) ? raw : {};
  return { settings: sanitizeSettings(record['settings']), killSwitch: sanitizeKillSwitch(record['killSwitch']) };
}

function sanitizeSettings(value: unknown): Settings {
  const record = isRecord(value) ? value : {};
  const bool = (key: keyof Settings, fallback: boolean): boolean =>
    typeof record[key] === 'boolean' ? (record[key] as boolean) : fallback;
  const theme = THEMES.find((candidate) => candidate === record['theme']) ?? DEFAULT_SETTINGS.theme;
  return {
    launchAtLogin: bool('launchAtLogin', DEFAULT_SETTINGS.launchAtLogin),
    killSwitchDefault: bool('killSwitchDefault', DEFAULT_SETTINGS.killSwitchDefault),
    theme,
    rateUnit: record['rateUnit'] === 'bytes' ? 'bytes' : 'bits',
  };
}

function sanitizeKillSwitch(value: unknown): Record<string, boolean> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, boolean] => typeof entry[1] === 'boolean'),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
