// Launch at login on Linux, where Electron has no login-items API: an entry in
// the user's XDG autostart folder (freedesktop.org Desktop Application
// Autostart Specification), which GNOME, KDE, Xfce and most other desktops run
// at login. The app starts in the tray, without its window.
import { rm, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { writeFileAtomic } from '../../../helper/src/os/atomic-file.js';

/** Passed by every launch-at-login mechanism: start in the tray, window closed. */
export const HIDDEN_ARGUMENT = '--hidden';
export const AUTOSTART_ENTRY = 'wirefly.desktop';

/** $XDG_CONFIG_HOME/autostart, or ~/.config/autostart; a relative XDG_CONFIG_HOME is invalid and ignored, as the spec says. */
export function autostartDirectory(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const configHome = env['XDG_CONFIG_HOME'];
  return join(configHome && isAbsolute(configHome) ? configHome : join(home, '.config'), 'autostart');
}

// Characters the Desktop Entry Specification reserves in Exec: an argument holding any is quoted.
const RESERVED = /[\s"'\\><~|&;$*?#()`]/;

/**
 * One Exec argument: quoted where needed (inside quotes ", `, $ and \ take a
 * backslash), then escaped as a string value (\ doubles, so a literal
 * backslash ends up as four), with % doubled since it starts field codes.
 */
export function execArgument(argument: string): string {
  if (argument === '' || /[\0\r\n]/.test(argument))
    throw new Error(`cannot put ${JSON.stringify(argument)} in an autostart entry`);
  const quoted = RESERVED.test(argument) ? `"${argument.replace(/["`$\\]/g, '\\$&')}"` : argument;
  return quoted.replace(/\\/g, '\\\\').replace(/%/g, '%%');
}

export function autostartEntry(command: readonly string[]): string {
  const exec = [...command, HIDDEN_ARGUMENT].map(execArgument).join(' ');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Wirefly',
    'Comment=WireGuard tunnels, from the tray',
    `Exec=${exec}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Adds (`on`) or removes the autostart entry that runs `command` at login. */
export async function setLinuxAutostart(
  on: boolean,
  command: readonly string[],
  directory = autostartDirectory(),
): Promise<void> {
  const path = join(directory, AUTOSTART_ENTRY);
  if (!on) {
    await rm(path, { force: true });
    return;
  }
  await mkdir(directory, { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, autostartEntry(command), 0o644);
}
