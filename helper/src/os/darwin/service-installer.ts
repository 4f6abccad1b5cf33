// The helper as a launchd daemon on macOS, one per user: the app's resources
// hold the plist template (packaging/macos), whose USER_UID becomes the uid;
// it is written root-owned to /Library/LaunchDaemons and bootstrapped into the
// system domain. Unsigned builds run this as root through the password prompt;
// a signed build would register the same plist with SMAppService instead.
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../atomic-file.js';
import { CommandFailed } from '../process.js';
import type { ServiceInstaller } from '../service-installer.js';
import type { DarwinCommandRunner } from './binding.js';

export const LAUNCH_DAEMONS = '/Library/LaunchDaemons';
const TEMPLATE = join('packaging', 'macos', 'org.wirefly.helper.plist');

export function daemonLabel(user: string): string {
  if (!/^\d{1,10}$/.test(user)) throw new Error(`"${user}" is not a numeric uid`);
  return `org.wirefly.helper.${user}`;
}

/** The template, from the app's Resources folder (packaged) or the checkout, whichever is above this file. */
export function findPlistTemplate(start = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, TEMPLATE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`the launchd plist template (${TEMPLATE}) is not above ${start}`);
  }
}

export interface LaunchdOptions {
  readonly run: DarwinCommandRunner;
  readonly directory?: string;
  readonly template?: string;
}

/** launchctl's exit status for a service that is not loaded ("Could not find service", "No such process"). */
function isNotLoaded(error: unknown): boolean {
  return (
    error instanceof CommandFailed &&
    (error.exitCode === 3 || error.exitCode === 113 || /No such process|Could not find/.test(error.stderr))
  );
}

export function darwinServiceInstaller(options: LaunchdOptions): ServiceInstaller {
  const directory = options.directory ?? LAUNCH_DAEMONS;
  const bootout = async (label: string) => {
    try {
      await options.run(['launchctl', 'bootout', `system/${label}`]);
    } catch (error) {
      if (!isNotLoaded(error)) throw error;
    }
  };
  return {
    async install({ user }) {
      const label = daemonLabel(user);
      const template = await readFile(options.template ?? findPlistTemplate(), 'utf8');
      const path = join(directory, `${label}.plist`);
      // launchd refuses a daemon's plist that anyone but root could change: 0644, and root's as the helper is.
      await writeFileAtomic(path, template.replaceAll('USER_UID', user), 0o644);
      await bootout(label);
      await options.run(['launchctl', 'enable', `system/${label}`]);
      await options.run(['launchctl', 'bootstrap', 'system', path]);
    },
    async uninstall({ user }) {
      const label = daemonLabel(user);
      await bootout(label);
      await rm(join(directory, `${label}.plist`), { force: true });
    },
  };
}
