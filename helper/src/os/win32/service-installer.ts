// The helper as a Windows service, as WireGuard for Windows runs its manager:
// LocalSystem, started at boot, restarted by the service manager when it
// fails. One service per desktop user (its pipe and state are that user's),
// registered with sc.exe; Electron's executable runs the helper in Node mode,
// so the service's environment (its registry key's Environment value) sets
// ELECTRON_RUN_AS_NODE. The NSIS installer calls install-service and
// uninstall-service for the session's user (packaging/windows/installer.nsh,
// session-user.ts); its uninstaller removes every user's service and then the
// state folders (uninstall-service --all-users).
import { CommandFailed, spawnCommand, type CommandRunner } from '../command.js';
import type { ServiceInstaller, ServiceInstallRequest } from '../service-installer.js';
import { isUserSid } from './security.js';
import { removeTree, win32StateRoot } from './state-store.js';

/** How long uninstalling waits for the helper to bring its tunnels down and stop. */
const STOP_TIMEOUT_MS = 60_000;
const STOP_POLL_MS = 250;
const SERVICES_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services';
const SERVICE_PREFIX = 'WireflyHelper-';

export function serviceName(userSid: string): string {
  if (!isUserSid(userSid)) throw new Error(`"${userSid}" is not a user's SID (S-1-5-21-...)`);
  return `${SERVICE_PREFIX}${userSid}`;
}

/** One argument of a Windows command line, quoted as CommandLineToArgvW reads it back. */
export function quoteArgument(argument: string): string {
  if (argument !== '' && !/[\s"]/.test(argument)) return argument;
  return `"${argument.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
}

function commandLine(request: ServiceInstallRequest): string {
  const command = request.command;
  if (!command || command.length === 0) throw new Error('installing the Windows service needs the helper command line');
  return command.map(quoteArgument).join(' ');
}

/** The service's state as sc.exe query names it (RUNNING, STOPPED, ...); undefined when there is no such service. */
export async function serviceState(run: CommandRunner, name: string): Promise<string | undefined> {
  let output: string;
  try {
    output = await run(['sc.exe', 'query', name]);
  } catch (error) {
    // 1060 on Windows; Wine's sc.exe exits 1 for every failure.
    if (error instanceof CommandFailed) return undefined;
    throw error;
  }
  return /STATE\s*:\s*\d+\s+(\w+)/.exec(output)?.[1] ?? 'UNKNOWN';
}

export function win32ServiceInstaller(
  run: CommandRunner = spawnCommand,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): ServiceInstaller {
  return {
    async install(request) {
      const name = serviceName(request.user);
      const settings = ['binPath=', commandLine(request), 'start=', 'auto', 'obj=', 'LocalSystem'];
      const existing = await serviceState(run, name);
      // The display name too must be unique among services: one "Wirefly helper" would leave the second user's refused (1078).
      const displayName = `Wirefly helper for ${request.user}`;
      if (existing === undefined) await run(['sc.exe', 'create', name, ...settings, 'DisplayName=', displayName]);
      else await run(['sc.exe', 'config', name, ...settings]);
      await run(['sc.exe', 'description', name, 'Brings up Wirefly tunnels for one user']);
      await run(['sc.exe', 'failure', name, 'reset=', '86400', 'actions=', 'restart/5000/restart/5000/restart/30000']);
      await run([
        'reg.exe',
        'add',
        `${SERVICES_KEY}\\${name}`,
        '/v',
        'Environment',
        '/t',
        'REG_MULTI_SZ',
        '/d',
        'ELECTRON_RUN_AS_NODE=1',
        '/f',
      ]);
      if (request.startNow !== false && existing !== 'RUNNING') await run(['sc.exe', 'start', name]);
    },
    async uninstall({ user }) {
      const name = serviceName(user);
      let state = await serviceState(run, name);
      if (state === undefined) return;
      if (state !== 'STOPPED') {
        if (state !== 'STOP_PENDING') await run(['sc.exe', 'stop', name]);
        // The helper brings its tunnels down before it reports itself stopped.
        for (let waited = 0; state !== 'STOPPED' && state !== undefined; waited += STOP_POLL_MS) {
          if (waited >= STOP_TIMEOUT_MS) throw new Error(`${name} did not stop within ${STOP_TIMEOUT_MS / 1000} s`);
          await sleep(STOP_POLL_MS);
          state = await serviceState(run, name);
        }
      }
      if (state !== undefined) await run(['sc.exe', 'delete', name]);
    },
  };
}

/**
 * The users who have a Wirefly helper service, from the service manager's
 * registry key (every service has a subkey there, whatever its state; sc.exe
 * enumerates services only as display text, and Wine's not at all). A name
 * whose suffix is not a user's SID is not one of ours and is left alone.
 */
export async function serviceUsers(run: CommandRunner): Promise<string[]> {
  const output = await run(['reg.exe', 'query', SERVICES_KEY]);
  const users = new Set<string>();
  for (const line of output.split(/\r?\n/)) {
    const name = /\\Services\\([^\\]+)$/i.exec(line.trim())?.[1];
    if (!name?.toLowerCase().startsWith(SERVICE_PREFIX.toLowerCase())) continue;
    const sid = name.slice(SERVICE_PREFIX.length);
    if (isUserSid(sid)) users.add(sid);
  }
  return [...users];
}

/**
 * What the uninstaller runs: every user's service stopped (each helper brings
 * its tunnels down first) and removed, one after another, then the state
 * folders with the boot copies of tunnel configs. A service that will not
 * stop or go does not keep the others; the state stays, as its helper may
 * still be using it, and the error names every failure.
 */
export async function uninstallAllUsers(
  installer: ServiceInstaller,
  run: CommandRunner = spawnCommand,
  stateRoot: string = win32StateRoot(),
  remove: (path: string) => Promise<void> = removeTree,
): Promise<string[]> {
  const users = await serviceUsers(run);
  const failures: string[] = [];
  for (const user of users) {
    try {
      await installer.uninstall({ user });
    } catch (error) {
      failures.push(`${serviceName(user)}: ${(error as Error).message}`);
    }
  }
  if (failures.length > 0) throw new Error(`left ${stateRoot} in place, as services remain:\n${failures.join('\n')}`);
  await remove(stateRoot);
  return users;
}
