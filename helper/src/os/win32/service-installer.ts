// The helper as a Windows service, as WireGuard for Windows runs its manager:
// LocalSystem, started at boot, restarted by the service manager when it
// fails. One service per desktop user (its pipe and state are that user's),
// registered with sc.exe; Electron's executable runs the helper in Node mode,
// so the service's environment (its registry key's Environment value) sets
// ELECTRON_RUN_AS_NODE. The NSIS installer calls install-service and
// uninstall-service (packaging/windows/installer.nsh).
import { CommandFailed, spawnCommand, type CommandRunner } from '../command.js';
import type { ServiceInstaller, ServiceInstallRequest } from '../service-installer.js';
import { isUserSid } from './security.js';

/** sc.exe's exit codes for "no such service" and "not started". */
const ERROR_SERVICE_DOES_NOT_EXIST = 1060;
const ERROR_SERVICE_NOT_ACTIVE = 1062;
const ERROR_SERVICE_EXISTS = 1073;

export function serviceName(userSid: string): string {
  if (!isUserSid(userSid)) throw new Error(`"${userSid}" is not a user's SID (S-1-5-21-...)`);
  return `WireflyHelper-${userSid}`;
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

function exitCode(error: unknown): number | null {
  return error instanceof CommandFailed ? error.exitCode : null;
}

async function tolerating(run: () => Promise<unknown>, ...codes: number[]): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!codes.includes(exitCode(error) ?? -1)) throw error;
  }
}

export function win32ServiceInstaller(run: CommandRunner = spawnCommand): ServiceInstaller {
  return {
    async install(request) {
      const name = serviceName(request.user);
      const settings = ['binPath=', commandLine(request), 'start=', 'auto', 'obj=', 'LocalSystem'];
      try {
        await run(['sc.exe', 'create', name, ...settings, 'DisplayName=', 'Wirefly helper']);
      } catch (error) {
        if (exitCode(error) !== ERROR_SERVICE_EXISTS) throw error;
        await run(['sc.exe', 'config', name, ...settings]);
      }
      await run(['sc.exe', 'description', name, 'Brings up Wirefly tunnels for one user']);
      await run(['sc.exe', 'failure', name, 'reset=', '86400', 'actions=', 'restart/5000/restart/5000/restart/30000']);
      await run([
        'reg.exe',
        'add',
        `HKLM\\SYSTEM\\CurrentControlSet\\Services\\${name}`,
        '/v',
        'Environment',
        '/t',
        'REG_MULTI_SZ',
        '/d',
        'ELECTRON_RUN_AS_NODE=1',
        '/f',
      ]);
      await run(['sc.exe', 'start', name]);
    },
    async uninstall({ user }) {
      const name = serviceName(user);
      await tolerating(() => run(['sc.exe', 'stop', name]), ERROR_SERVICE_NOT_ACTIVE, ERROR_SERVICE_DOES_NOT_EXIST);
      await tolerating(() => run(['sc.exe', 'delete', name]), ERROR_SERVICE_DOES_NOT_EXIST);
    },
  };
}
