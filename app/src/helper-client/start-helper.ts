// Starting the helper as root, once, with the desktop user's uid so that only
// this user (and root) can reach its socket. @vscode/sudo-prompt shows the OS's
// own password dialog (pkexec, osascript, UAC) and waits for the command to end,
// so the command starts the helper in the background and returns.
import sudoPrompt from '@vscode/sudo-prompt';
import { quoteArgument } from '../../../helper/src/os/win32/service-installer.js';

export interface HelperLaunch {
  /** The Node that runs the helper: node itself, or Electron's binary with ELECTRON_RUN_AS_NODE. */
  readonly nodePath: string;
  readonly runAsNode: boolean;
  /** The helper's entry script (bin/wirefly-helper). */
  readonly helperScript: string;
  /** Whom the helper serves: a uid, or on Windows the user's SID (its pipe's access list names it). */
  readonly user: string;
  readonly socketPath: string;
}

export interface ElevatedCommand {
  readonly command: string;
  readonly env: Readonly<Record<string, string>>;
}

/**
 * What the helper for this session is started with. On macOS it may serve
 * from files that are not root's alone (a copy run from a disk image or
 * Downloads, a checkout): whoever answers the prompt, or is root already,
 * runs them as root then, as with sudo, and is asked again next time. A
 * daemon, which starts with no one asked, never gets this.
 */
export function serveArguments(launch: HelperLaunch, platform: NodeJS.Platform = process.platform): string[] {
  const args = [launch.helperScript, 'serve', '--user', launch.user, '--socket', launch.socketPath];
  return platform === 'darwin' ? [...args, '--allow-unsafe-code'] : args;
}

/** The exact command the password prompt runs. */
export function elevatedHelperCommand(
  launch: HelperLaunch,
  platform: NodeJS.Platform = process.platform,
): ElevatedCommand {
  const env: Record<string, string> = launch.runAsNode ? { ELECTRON_RUN_AS_NODE: '1' } : {};
  const args = [launch.nodePath, ...serveArguments(launch, platform)];
  if (platform === 'win32') {
    return { command: `start "" /B ${args.map(quoteCmd).join(' ')}`, env };
  }
  return { command: `nohup ${args.map(quotePosix).join(' ')} </dev/null >/dev/null 2>&1 &`, env };
}

export type SudoExec = typeof sudoPrompt.exec;

/** Runs `command` as root after the OS's password prompt; rejects when the user cancels or the command fails. */
export function runElevated(
  command: string,
  env: Readonly<Record<string, string>>,
  exec: SudoExec = sudoPrompt.exec,
): Promise<void> {
  return new Promise((resolve, reject) => {
    exec(command, { name: 'Wirefly', env: { ...env } }, (error) => (error ? reject(error) : resolve()));
  });
}

/** Shows the password prompt and starts the helper; rejects when the user cancels or the start fails. */
export function startHelperElevated(launch: HelperLaunch, exec: SudoExec = sudoPrompt.exec): Promise<void> {
  const { command, env } = elevatedHelperCommand(launch);
  return runElevated(command, env, exec);
}

export function quotePosix(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * One argument of a line in the batch file that the UAC prompt runs: quoted as
 * CommandLineToArgvW reads it back, then escaped for cmd.exe, which expands
 * `%` everywhere in a batch file and treats `&|<>^()` as its own outside the
 * quotes it sees (every `"` opens or closes one, backslashes or not).
 */
export function quoteCmd(arg: string): string {
  if (/[\r\n\0]/.test(arg)) throw new Error(`a command line cannot carry ${JSON.stringify(arg)}`);
  let quoted = false;
  let line = '';
  for (const char of quoteArgument(arg)) {
    if (char === '"') quoted = !quoted;
    line += char === '%' ? '%%' : !quoted && /[&|<>^()]/.test(char) ? `^${char}` : char;
  }
  return line;
}
