// The helper's own settings, written by the machine's administrator: root-owned,
// writable by root alone, so that the unprivileged app (or anyone else) cannot
// grant itself the right to run scripts as root. A file that fails those checks
// is ignored as a whole, as if absent, and says why.
import { lstatSync, readFileSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

export const HELPER_SETTINGS_PATH = '/etc/wirefly/helper.json';

export interface HelperSettings {
  /** Run PreUp/PostUp/PreDown/PostDown commands from configs (as root). Off unless the administrator turns it on. */
  readonly allowScripts: boolean;
}

export const DEFAULT_HELPER_SETTINGS: HelperSettings = { allowScripts: false };

export interface LoadedSettings {
  readonly settings: HelperSettings;
  /** Why the file was ignored, when it was. */
  readonly problem?: string;
}

const WRITABLE_BY_GROUP_OR_OTHERS = 0o022;

function untrusted(path: string, stat: Stats): string | undefined {
  if (stat.uid !== 0) return `${path} is owned by uid ${stat.uid}, not root`;
  if ((stat.mode & WRITABLE_BY_GROUP_OR_OTHERS) !== 0) return `${path} is writable by users other than root`;
  return undefined;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function loadHelperSettings(path = HELPER_SETTINGS_PATH): LoadedSettings {
  const stat = lstatOrUndefined(path);
  if (!stat) return { settings: DEFAULT_HELPER_SETTINGS };
  const ignored = (problem: string): LoadedSettings => ({
    settings: DEFAULT_HELPER_SETTINGS,
    problem: `${problem}; ignoring it`,
  });
  if (!stat.isFile()) return ignored(`${path} is not a regular file`);
  const directory = dirname(path);
  const problem = untrusted(path, stat) ?? untrusted(directory, lstatSync(directory));
  if (problem) return ignored(problem);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return ignored(`${path} is not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return ignored(`${path} must hold a JSON object`);
  const allowScripts = (parsed as Record<string, unknown>).allowScripts ?? false;
  if (typeof allowScripts !== 'boolean') return ignored(`${path}: allowScripts must be true or false`);
  return { settings: { allowScripts } };
}
