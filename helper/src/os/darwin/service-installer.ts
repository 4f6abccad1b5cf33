// The helper as a launchd daemon on macOS, one per user: the app's resources
// hold the plist template (packaging/macos), whose USER_UID becomes the uid;
// it is written root-owned to /Library/LaunchDaemons and bootstrapped into the
// system domain. Unsigned builds run this as root through the password prompt;
// a signed build registers its bundled plist (packaging/macos/LaunchDaemons)
// with SMAppService instead, one daemon that serves the console user.
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../atomic-file.js';
import { CommandFailed } from '../command.js';
import type { ServiceInstaller } from '../service-installer.js';
import type { DarwinCommandRunner } from './binding.js';
import { codeLocationProblem, helperCodeRoots, type CodeLocationOptions } from './code-location.js';

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
  /** Trusted beside root to own the files the daemon runs: only a test, with its own uid. */
  readonly owner?: number;
}

/** The program and script the daemon runs: the first two strings of ProgramArguments. */
export function programFiles(plist: string): string[] {
  const array = /<key>ProgramArguments<\/key>\s*<array>([\s\S]*?)<\/array>/.exec(plist)?.[1] ?? '';
  return [...array.matchAll(/<string>([^<]*)<\/string>/g)].slice(0, 2).map((match) => match[1] ?? '');
}

/**
 * A daemon runs as root what its plist names: were any of those files, or a
 * folder holding them, writable by a user, that user's programs could change
 * the helper and so become root (code-location.ts has the rules). The app's
 * first run makes the bundle root's (chown -R root:wheel, chmod -R go-w).
 */
async function assertOnlyRootCanChange(plist: string, options: CodeLocationOptions = {}): Promise<void> {
  const [executable = '', script = ''] = programFiles(plist);
  const problem = await codeLocationProblem(helperCodeRoots(executable, script), options);
  if (problem) {
    throw new Error(
      `the helper's daemon would run ${script} as root, but ${problem}: the app must be root's alone (chown -R root:wheel, chmod -R go-w)`,
    );
  }
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
    async install({ user, startNow = true }) {
      const label = daemonLabel(user);
      const template = await readFile(options.template ?? findPlistTemplate(), 'utf8');
      const plist = template.replaceAll('USER_UID', user);
      await assertOnlyRootCanChange(plist, { owner: options.owner ?? 0 });
      const path = join(directory, `${label}.plist`);
      // launchd refuses a daemon's plist that anyone but root could change: 0644, and root's as the helper is.
      await writeFileAtomic(path, plist, 0o644);
      await bootout(label);
      await options.run(['launchctl', 'enable', `system/${label}`]);
      // Without bootstrap, launchd loads it from /Library/LaunchDaemons at the next boot.
      if (startNow) await options.run(['launchctl', 'bootstrap', 'system', path]);
    },
    async uninstall({ user }) {
      const label = daemonLabel(user);
      await bootout(label);
      await rm(join(directory, `${label}.plist`), { force: true });
    },
  };
}
