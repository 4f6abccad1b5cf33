// The helper as a launchd daemon, from the app's side on macOS, in one of two
// ways. A build signed with an Apple-issued certificate whose bundle carries
// the daemon's plist (Contents/Library/LaunchDaemons) registers it with
// SMAppService: no password, one approval in System Settings' Login Items, and
// the daemon serves whoever is at the console. Any other build uses the one
// password prompt (osascript, through @vscode/sudo-prompt): it makes the
// bundle root's, so that nobody but root can change what the daemon will run
// as root, and has the helper install its per-user daemon (wirefly-helper
// install-service) into /Library/LaunchDaemons. Either way the app must run
// from /Applications, where the daemon's plist finds the helper script.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HelperService } from '../api/wirefly-api.js';
import type { HelperServiceControl } from './helper-service.js';
import { objcServiceManagement, SMAppServiceStatus, type ServiceManagement } from './service-management.js';
import { quotePosix, runElevated, type HelperLaunch, type SudoExec } from './start-helper.js';

export interface LaunchdOptions {
  readonly launch: Pick<HelperLaunch, 'nodePath' | 'helperScript'> & { readonly uid: number };
  readonly fileExists?: (path: string) => boolean;
  readonly exec?: SudoExec;
  /** Whether the bundle's signature verifies and was issued by Apple (default: codesign). */
  readonly verifySignature?: (bundle: string) => Promise<boolean>;
  /** Undefined where the system has none (before macOS 13). */
  readonly serviceManagement?: () => ServiceManagement | undefined;
}

/** The .app bundle Electron's binary is in (…/Wirefly.app/Contents/MacOS/Wirefly), if it is in one. */
export function appBundleOf(nodePath: string): string | undefined {
  const bundle = dirname(dirname(dirname(nodePath)));
  return bundle.endsWith('.app') && dirname(nodePath).endsWith('/Contents/MacOS') ? bundle : undefined;
}

export function daemonPlist(uid: number): string {
  return `/Library/LaunchDaemons/org.wirefly.helper.${uid}.plist`;
}

/** The name SMAppService knows the bundled daemon by (packaging/macos/LaunchDaemons). */
export const BUNDLED_DAEMON = 'org.wirefly.helper.plist';

export function bundledDaemonPlist(bundle: string): string {
  return `${bundle}/Contents/Library/LaunchDaemons/${BUNDLED_DAEMON}`;
}

/**
 * codesign rather than SecStaticCodeCreateWithPath and SecStaticCodeCheckValidity
 * through koffi: it is Apple's own front end to those very checks, so the
 * answer is an exit status instead of CF objects made, passed and released by
 * FFI code that no machine here can run. --deep --strict checks the nested
 * code and the sealed resources too. The requirement "anchor apple generic"
 * refuses the ad-hoc signature every arm64 build carries, which verifies but
 * which SMAppService does not accept.
 */
export function codesignVerifies(bundle: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('/usr/bin/codesign', ['--verify', '--deep', '--strict', '-R', '=anchor apple generic', bundle], (error) =>
      resolve(error === null),
    );
  });
}

const NEEDS_APPLICATIONS = 'the helper service needs Wirefly.app in /Applications, and this copy runs from elsewhere.';

export const APPROVAL_NEEDED =
  "The helper service waits for your approval: allow Wirefly in System Settings' Login Items (now open), and it starts.";

export function launchdHelperService(options: LaunchdOptions): HelperServiceControl {
  const exists = options.fileExists ?? existsSync;
  const bundle = appBundleOf(options.launch.nodePath);
  if (!bundle || !bundle.startsWith('/Applications/')) {
    return {
      probe: async () => ({ kind: 'unavailable', reason: NEEDS_APPLICATIONS }),
      install: async () => {
        throw new Error(`The helper service cannot be installed: ${NEEDS_APPLICATIONS}`);
      },
      start: async () => {
        throw new Error(`The helper service cannot be started: ${NEEDS_APPLICATIONS}`);
      },
    };
  }
  const verify = options.verifySignature ?? codesignVerifies;
  // A signature does not change while the app runs: checked once, at the first question.
  // A per-user daemon the password prompt installed keeps serving: two daemons would race for the one socket.
  let chosen: Promise<HelperServiceControl> | undefined;
  const choose = () =>
    (chosen ??= (async () => {
      const signed =
        !exists(daemonPlist(options.launch.uid)) && exists(bundledDaemonPlist(bundle)) && (await verify(bundle));
      const management = signed ? (options.serviceManagement ?? objcServiceManagement)() : undefined;
      return management ? smAppServiceDaemon(management) : passwordPromptDaemon(bundle, options, exists);
    })());
  return {
    probe: async () => (await choose()).probe(),
    install: async (startNow) => (await choose()).install(startNow),
    start: async () => (await choose()).start(),
  };
}

function smAppServiceDaemon(management: ServiceManagement): HelperServiceControl {
  const daemon = management.daemon(BUNDLED_DAEMON);
  const probe = async (): Promise<HelperService> => {
    switch (daemon.status()) {
      case SMAppServiceStatus.Enabled:
        return { kind: 'installed' };
      case SMAppServiceStatus.RequiresApproval:
        return { kind: 'requires-approval' };
      default:
        // NotFound is also what a daemon never registered reports: the plist is known to be in the bundle.
        return { kind: 'installable' };
    }
  };
  const waitForApproval = (): never => {
    management.openSystemSettingsLoginItems();
    throw new Error(APPROVAL_NEEDED);
  };
  return {
    probe,
    // launchd starts it as soon as it is allowed; while a helper for this session holds the
    // socket it waits, trying again every few seconds, so startNow changes nothing here.
    async install() {
      if (daemon.status() === SMAppServiceStatus.RequiresApproval) waitForApproval();
      try {
        daemon.register();
      } catch (error) {
        // Registering one that awaits approval fails ("Operation not permitted") and leaves it so.
        if (daemon.status() !== SMAppServiceStatus.RequiresApproval) throw error;
      }
      if (daemon.status() === SMAppServiceStatus.RequiresApproval) waitForApproval();
    },
    // A registered daemon that exited cleanly is not restarted by KeepAlive (SuccessfulExit false);
    // registering it anew loads it again, RunAtLoad starts it, and no password is asked.
    async start() {
      daemon.unregister();
      daemon.register();
    },
  };
}

function passwordPromptDaemon(
  bundle: string,
  options: LaunchdOptions,
  exists: (path: string) => boolean,
): HelperServiceControl {
  const { nodePath, helperScript, uid } = options.launch;
  const elevated = (command: string) => runElevated(command, { ELECTRON_RUN_AS_NODE: '1' }, options.exec);
  return {
    probe: async () => (exists(daemonPlist(uid)) ? { kind: 'installed' } : { kind: 'installable' }),
    async install(startNow) {
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
