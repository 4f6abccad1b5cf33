// The helper as a launchd daemon, from the app's side on macOS: installed when
// this user's plist is in /Library/LaunchDaemons; installable when the app runs
// from /Applications. The one password prompt (osascript, through
// @vscode/sudo-prompt) makes the bundle root's, so that nobody but root can
// change what the daemon will run as root, and has the helper install itself
// (wirefly-helper install-service). An unsigned build has no other way; a
// signed one could register the plist inside its bundle with SMAppService.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HelperService } from '../api/wirefly-api.js';
import type { HelperServiceControl } from './helper-service.js';
import { quotePosix, runElevated, type HelperLaunch, type SudoExec } from './start-helper.js';

export interface LaunchdOptions {
  readonly launch: Pick<HelperLaunch, 'nodePath' | 'helperScript' | 'uid'>;
  readonly fileExists?: (path: string) => boolean;
  readonly exec?: SudoExec;
}

/** The .app bundle Electron's binary is in (…/Wirefly.app/Contents/MacOS/Wirefly), if it is in one. */
export function appBundleOf(nodePath: string): string | undefined {
  const bundle = dirname(dirname(dirname(nodePath)));
  return bundle.endsWith('.app') && dirname(nodePath).endsWith('/Contents/MacOS') ? bundle : undefined;
}

export function daemonPlist(uid: number): string {
  return `/Library/LaunchDaemons/org.wirefly.helper.${uid}.plist`;
}

export function launchdHelperService(options: LaunchdOptions): HelperServiceControl {
  const exists = options.fileExists ?? existsSync;
  const { nodePath, helperScript, uid } = options.launch;
  const bundle = appBundleOf(nodePath);
  const probe = async (): Promise<HelperService> => {
    if (!bundle || !bundle.startsWith('/Applications/')) {
      return {
        kind: 'unavailable',
        reason: 'the helper service needs Wirefly.app in /Applications, and this copy runs from elsewhere.',
      };
    }
    return exists(daemonPlist(uid)) ? { kind: 'installed' } : { kind: 'installable' };
  };
  const elevated = (command: string) => runElevated(command, { ELECTRON_RUN_AS_NODE: '1' }, options.exec);
  return {
    probe,
    async install(startNow) {
      const service = await probe();
      if (service.kind === 'unavailable' || !bundle)
        throw new Error(
          `The helper service cannot be installed: ${service.kind === 'unavailable' ? service.reason : ''}`,
        );
      const helper = [nodePath, helperScript, 'install-service', '--user', String(uid)].map(quotePosix).join(' ');
      await elevated(
        [
          `/usr/sbin/chown -R root:wheel ${quotePosix(bundle)}`,
          `/bin/chmod -R go-w ${quotePosix(bundle)}`,
          `${helper}${startNow ? '' : ' --at-next-boot'}`,
        ].join(' && '),
      );
    },
    // Loaded already, bootstrap says so and kickstart starts it; installed for the next boot, bootstrap loads and starts it.
    start: () =>
      elevated(
        `/bin/launchctl bootstrap system ${quotePosix(daemonPlist(uid))} 2>/dev/null; /bin/launchctl kickstart system/org.wirefly.helper.${uid}`,
      ),
  };
}
