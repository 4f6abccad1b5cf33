// The helper as a system service, from the app's side: whether this machine
// has one for this user (the deb installs the systemd template; an instance is
// enabled per uid), and enabling or starting it through the OS's password
// prompt. Only a unit installed by the package, root's files, is ever enabled:
// a service running as root from files this user could change would make any
// of the user's programs root.
import { existsSync } from 'node:fs';
import type { HelperService } from '../api/wirefly-api.js';
import { runElevated, type SudoExec } from './start-helper.js';

export const SYSTEMD_UNIT_DIRECTORIES = [
  '/etc/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
] as const;
const TEMPLATE = 'wirefly-helper@.service';

export interface HelperServiceControl {
  probe(): Promise<HelperService>;
  /** Enables this user's instance, and starts it unless told not to (a helper for this session holds the socket until the next boot): one password prompt. */
  install(startNow: boolean): Promise<void>;
  /** Starts the installed instance: one password prompt. */
  start(): Promise<void>;
}

export interface SystemdOptions {
  readonly uid: number;
  readonly platform: NodeJS.Platform;
  readonly fileExists?: (path: string) => boolean;
  readonly exec?: SudoExec;
}

export function instanceName(uid: number): string {
  return `wirefly-helper@${uid}.service`;
}

export function systemdHelperService(options: SystemdOptions): HelperServiceControl {
  const exists = options.fileExists ?? existsSync;
  const unit = instanceName(options.uid);
  const systemctl = (verb: string) => runElevated(`systemctl ${verb} ${unit}`, {}, options.exec);
  const probe = async (): Promise<HelperService> => {
    if (options.platform !== 'linux')
      return { kind: 'unavailable', reason: 'Wirefly installs no helper service on this system yet.' };
    if (!exists('/run/systemd/system')) return { kind: 'unavailable', reason: 'this system does not run systemd.' };
    if (!SYSTEMD_UNIT_DIRECTORIES.some((dir) => exists(`${dir}/${TEMPLATE}`))) {
      return {
        kind: 'unavailable',
        reason: 'the helper service comes with the Wirefly package (.deb), and this copy was not installed from it.',
      };
    }
    return exists(`/etc/systemd/system/multi-user.target.wants/${unit}`)
      ? { kind: 'installed' }
      : { kind: 'installable' };
  };
  return {
    probe,
    async install(startNow) {
      const service = await probe();
      if (service.kind === 'unavailable') throw new Error(`The helper service cannot be installed: ${service.reason}`);
      await systemctl(startNow ? 'enable --now' : 'enable');
    },
    start: () => systemctl('start'),
  };
}
