// The helper as a Windows service, from the app's side: installed when the
// service manager knows this user's service; installable when the app runs
// from a per-machine install (the NSIS installer's perMachine, under
// %ProgramFiles%) that this user cannot write. The service runs as
// LocalSystem the very files it names, so files the user could change would
// make any of the user's programs SYSTEM: a per-user or portable copy, or a
// checkout, never gets one. One UAC prompt has the helper install itself for
// this user's SID, passed explicitly because the elevated process may run as
// another account (an administrator's credentials typed at the prompt).
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, rmSync } from 'node:fs';
import { dirname, join, relative, isAbsolute } from 'node:path/win32';
import type { HelperService } from '../api/wirefly-api.js';
import { spawnCommand, type CommandRunner } from '../../../helper/src/os/command.js';
import { serviceName, serviceState } from '../../../helper/src/os/win32/service-installer.js';
import type { HelperServiceControl } from './helper-service.js';
import { quoteCmd, runElevated, type SudoExec } from './start-helper.js';

export interface WindowsServiceOptions {
  /** Electron's executable (Node mode through ELECTRON_RUN_AS_NODE) and the helper script it runs. */
  readonly nodePath: string;
  readonly helperScript: string;
  readonly userSid: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** sc.exe query, unelevated: any user may ask the service manager about a service. */
  readonly run?: CommandRunner;
  readonly userCanWrite?: (directory: string) => boolean;
  readonly exec?: SudoExec;
}

/** Whether this process can create a file in `directory`: the ACL decides, which fs.access does not read on Windows. */
export function canCreateFileIn(directory: string): boolean {
  const probe = join(directory, `.wirefly-write-probe-${randomBytes(6).toString('hex')}`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch {
    return false;
  }
  rmSync(probe, { force: true });
  return true;
}

function inside(root: string, path: string): boolean {
  const rest = relative(root, path);
  return rest !== '' && !rest.startsWith('..') && !isAbsolute(rest);
}

export function windowsHelperService(options: WindowsServiceOptions): HelperServiceControl {
  const env = options.env ?? process.env;
  const run = options.run ?? spawnCommand;
  const userCanWrite = options.userCanWrite ?? canCreateFileIn;
  const name = serviceName(options.userSid);
  const installDir = dirname(options.nodePath);
  const programFiles = [env['ProgramFiles'], env['ProgramW6432'], env['ProgramFiles(x86)']].filter(
    (dir): dir is string => !!dir,
  );
  const probe = async (): Promise<HelperService> => {
    if ((await serviceState(run, name)) !== undefined) return { kind: 'installed' };
    if (!programFiles.some((root) => inside(root, installDir)) || !inside(installDir, options.helperScript)) {
      return {
        kind: 'unavailable',
        reason:
          'the helper service needs Wirefly installed for all users (in Program Files), and this copy runs from elsewhere.',
      };
    }
    if (userCanWrite(installDir))
      return {
        kind: 'unavailable',
        reason: `this user can change the files in ${installDir}, which the service would run as SYSTEM.`,
      };
    return { kind: 'installable' };
  };
  return {
    probe,
    async install(startNow) {
      const service = await probe();
      if (service.kind === 'unavailable') throw new Error(`The helper service cannot be installed: ${service.reason}`);
      const helper = [options.nodePath, options.helperScript, 'install-service', '--user', options.userSid];
      await runElevated(
        [...helper, ...(startNow ? [] : ['--at-next-boot'])].map(quoteCmd).join(' '),
        { ELECTRON_RUN_AS_NODE: '1' },
        options.exec,
      );
    },
    start: () => runElevated(`sc.exe start ${quoteCmd(name)}`, {}, options.exec),
  };
}
