// wirefly-helper serve --user UID ...: the privileged helper the app and the
// wirefly command talk to; wirefly-helper stop-all: what package removal runs;
// install-service / uninstall-service: what the Windows installer runs, and
// what the app's first run on macOS runs through the password prompt.
import { currentPlatform } from '../os/platform.js';
import { uninstallAllUsers } from '../os/win32/service-installer.js';
import { sessionUserSid } from '../os/win32/session-user.js';
import { parseServeArguments, serve, SERVE_USAGE } from '../service/serve.js';
import { parseStopAllArguments, stopAll, STOP_ALL_USAGE } from '../service/stop-all.js';

export const SERVICE_USAGE =
  'Usage: wirefly-helper install-service [--user UID|SID|session] [--at-next-boot]\n       wirefly-helper uninstall-service [--user UID|SID|session | --all-users]\n';

function refuseUnlessRoot(): boolean {
  // Windows: the service runs as LocalSystem; anything less fails at its first privileged call.
  if (process.platform === 'win32' || process.getuid?.() === 0) return false;
  process.stderr.write("wirefly-helper: the helper changes the system's networking and must run as root\n");
  return true;
}

async function runServe(argv: readonly string[]): Promise<number> {
  const options = parseServeArguments(argv);
  if (typeof options === 'string') {
    process.stderr.write(options);
    return 1;
  }
  if (refuseUnlessRoot()) return 1;
  await serve(options);
  return 0;
}

async function runStopAll(argv: readonly string[]): Promise<number> {
  const options = parseStopAllArguments(argv);
  if (typeof options === 'string') {
    process.stderr.write(options);
    return 1;
  }
  if (refuseUnlessRoot()) return 1;
  await stopAll({ ...options, report: (line) => process.stdout.write(`wirefly-helper: ${line}\n`) });
  return 0;
}

/**
 * The service is registered for `--user`: a uid or SID, or on Windows
 * `session`, the user logged on to the session this runs in. Without it, the
 * user who runs the command (`currentUser`), which on Windows is the session's
 * user too: an elevated installer or prompt runs in the desktop user's session
 * but, when an administrator typed credentials over the shoulder, with the
 * administrator's token, whose SID would give the service to the wrong user.
 * `--at-next-boot` registers it without starting it now (a helper started for
 * this session holds the socket meanwhile).
 */
export function parseServiceArguments(
  argv: readonly string[],
  currentUser: () => string,
  sessionUser?: () => string,
): { user: string; startNow?: false } | string {
  const later = argv.at(-1) === '--at-next-boot';
  const rest = later ? argv.slice(0, -1) : argv;
  const when = later ? { startNow: false as const } : {};
  if (rest.length === 0) return { user: currentUser(), ...when };
  if (rest.length !== 2 || rest[0] !== '--user') return SERVICE_USAGE;
  if (rest[1] !== 'session') return { user: rest[1]!, ...when };
  return sessionUser
    ? { user: sessionUser(), ...when }
    : `wirefly-helper: --user session is for Windows\n${SERVICE_USAGE}`;
}

/**
 * uninstall-service --all-users, what the Windows uninstaller runs: every
 * user's service, then ProgramData\Wirefly. Windows only, where services are
 * one per user and the app's first run adds them; elsewhere the package's
 * removal scripts know their units.
 */
export async function runUninstallAllUsers(
  platform = process.platform,
  uninstallAll = uninstallAllUsers,
): Promise<number> {
  if (platform !== 'win32') {
    process.stderr.write(`wirefly-helper: --all-users is for Windows\n${SERVICE_USAGE}`);
    return 1;
  }
  const users = await uninstallAll(currentPlatform().service);
  process.stdout.write(
    `wirefly-helper: ${users.length === 0 ? 'no service to remove' : `service removed for ${users.join(', ')}`}; state removed\n`,
  );
  return 0;
}

function runService(action: 'install' | 'uninstall'): (argv: readonly string[]) => Promise<number> {
  return async (argv) => {
    if (action === 'uninstall' && argv.length === 1 && argv[0] === '--all-users') return runUninstallAllUsers();
    const options =
      process.platform === 'win32'
        ? parseServiceArguments(argv, sessionUserSid, sessionUserSid)
        : parseServiceArguments(argv, () => String(process.getuid?.() ?? ''));
    if (typeof options === 'string' || (action === 'uninstall' && options.startNow === false)) {
      process.stderr.write(typeof options === 'string' ? options : SERVICE_USAGE);
      return 1;
    }
    const command = [process.execPath, process.argv[1]!, 'serve', '--user', options.user];
    await currentPlatform().service[action]({ user: options.user, command, startNow: options.startNow ?? true });
    process.stdout.write(
      `wirefly-helper: service ${action === 'install' ? 'installed' : 'removed'} for ${options.user}\n`,
    );
    return 0;
  };
}

const COMMANDS: Readonly<Record<string, (argv: readonly string[]) => Promise<number>>> = {
  serve: runServe,
  'stop-all': runStopAll,
  'install-service': runService('install'),
  'uninstall-service': runService('uninstall'),
};

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const run = command !== undefined && Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) {
    process.stderr.write(`${SERVE_USAGE}${STOP_ALL_USAGE}${SERVICE_USAGE}`);
    return 1;
  }
  try {
    return await run(rest);
  } catch (error) {
    process.stderr.write(`wirefly-helper: ${(error as Error).message}\n`);
    return 1;
  }
}
