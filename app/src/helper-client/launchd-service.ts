// The helper as a launchd daemon, from the app's side on macOS, in one of two
// ways. A build signed with an Apple-issued certificate whose bundle carries
// the daemon's plist (Contents/Library/LaunchDaemons) and is root's already
// (installed by the .pkg, or made root's by an earlier prompt) registers it
// with SMAppService: no password, one approval in System Settings' Login
// Items, and the daemon serves whoever is at the console. Any other build uses
// the one password prompt (osascript, through @vscode/sudo-prompt): it makes
// the bundle root's, so that nobody but root can change what the daemon will
// run as root, and has the helper install its per-user daemon (wirefly-helper
// install-service) into /Library/LaunchDaemons. A signed bundle the Finder
// copied belongs to the user who copied it, and SMAppService would run the
// helper's JavaScript from it as root (its signature is not checked at each
// start): such a copy takes the prompt too. Either way the app must run from
// /Applications, where the daemon's plist finds the helper script.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  appBundleOf,
  codeLocationProblem,
  helperCodeRoots,
  type CodeFiles,
} from '../../../helper/src/os/darwin/code-location.js';
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
  /** The file system as the check of the bundle's ownership reads it (default: node:fs). */
  readonly files?: CodeFiles;
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

/** Why the prompt is asked where SMAppService would ask nothing, or asked again for an installed daemon. */
export function notRootsReason(problem: string, installed: boolean): string {
  return installed
    ? `the installed helper service will not start while Wirefly.app is not root's alone (${problem}; a copy or an update replaced it): installing again makes it root's.`
    : `this copy of Wirefly.app is not root's alone (${problem}; the Finder leaves a copy to whoever made it), and a helper service run from it as root could be changed by that user's programs: installing makes it root's first.`;
}

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
  const { nodePath, helperScript } = options.launch;
  const notRootsAlone = () =>
    codeLocationProblem(helperCodeRoots(nodePath, helperScript), options.files ? { files: options.files } : {});
  // A signature does not change while the app runs: checked once, at the first question, and so is
  // the owner of the bundle that the choice of SMAppService rests on.
  // A per-user daemon the password prompt installed keeps serving: two daemons would race for the one socket.
  let chosen: Promise<HelperServiceControl> | undefined;
  const choose = () =>
    (chosen ??= (async () => {
      const signed =
        !exists(daemonPlist(options.launch.uid)) && exists(bundledDaemonPlist(bundle)) && (await verify(bundle));
      const management = signed ? (options.serviceManagement ?? objcServiceManagement)() : undefined;
      if (!management) return passwordPromptDaemon(bundle, options, exists, notRootsAlone);
      const problem = await notRootsAlone();
      if (problem === undefined) return smAppServiceDaemon(management);
      return passwordPromptDaemon(bundle, options, exists, notRootsAlone, {
        reason: notRootsReason(problem, false),
        // Registered from this copy before it was found not root's: gone first, or it would race the new daemon.
        before: () => {
          const daemon = management.daemon(BUNDLED_DAEMON);
          const status = daemon.status();
          if (status === SMAppServiceStatus.Enabled || status === SMAppServiceStatus.RequiresApproval)
            daemon.unregister();
        },
      });
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

/**
 * `notRootsAlone`: asked at each probe, since the bundle can be replaced while a daemon is
 * installed (a new version dragged over it is the user's), and that daemon then refuses to
 * serve: installing again makes it root's and starts it. `signedCopy`: a signed build that
 * would use SMAppService but for its owner.
 */
function passwordPromptDaemon(
  bundle: string,
  options: LaunchdOptions,
  exists: (path: string) => boolean,
  notRootsAlone: () => Promise<string | undefined>,
  signedCopy?: { readonly reason: string; before(): void },
): HelperServiceControl {
  const { nodePath, helperScript, uid } = options.launch;
  const elevated = (command: string) => runElevated(command, { ELECTRON_RUN_AS_NODE: '1' }, options.exec);
  return {
    async probe() {
      if (!exists(daemonPlist(uid)))
        return signedCopy ? { kind: 'installable', reason: signedCopy.reason } : { kind: 'installable' };
      const problem = await notRootsAlone();
      return problem === undefined
        ? { kind: 'installed' }
        : { kind: 'installable', reason: notRootsReason(problem, true) };
    },
    async install(startNow) {
      signedCopy?.before();
      const helper = [nodePath, helperScript, 'install-service', '--user', String(uid)].map(quotePosix).join(' ');
      // -N: an access list a user's program put on the files before the chown would still let it write them.
      await elevated(
        [
          `/usr/sbin/chown -R root:wheel ${quotePosix(bundle)}`,
          `/bin/chmod -R -N ${quotePosix(bundle)}`,
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
