// `wirefly-helper serve`: the root helper. It first undoes what a crashed
// predecessor left in the system, then serves the control socket until SIGTERM
// or SIGINT, when it brings every tunnel down before exiting.
import { dirname, join } from 'node:path';
import { spawnCommand } from '../os/command.js';
import { systemClocks, watchRouteChanges } from '../os/network-changes.js';
import { currentPlatform, type Platform } from '../os/platform.js';
import { helperPipePath } from '../os/win32/control-endpoint.js';
import { win32HelperSettingsPath, win32StateDirectory } from '../os/win32/state-store.js';
import { helperSocketPath, type LogLine } from '../rpc/index.js';
import { BootTunnels } from './boot-tunnels.js';
import { recoverCrashedHelper } from './crash-recovery.js';
import { ConsoleFollower } from './console-follower.js';
import { startControlServer, type ControlServer } from './control-server.js';
import { HELPER_SETTINGS_PATH, loadHelperSettings } from './helper-settings.js';
import { helperVersion } from './helper-version.js';
import { writeHelperPidFile } from './helper-pid-file.js';
import { Journal } from './journal.js';
import { ConnectionDoctor } from './doctor/doctor.js';
import { systemProbes } from './doctor/system-probes.js';
import { DoctorWatchdog } from './doctor/watchdog.js';
import { KillSwitchPolicyService } from './kill-switch-policy.js';
import { NetworkEvents } from './network-events.js';
import { journaledNetwork } from './system-network.js';
import { startEngineInProcess } from './tunnel-engine.js';
import { TunnelManager } from './tunnel-manager.js';

/** Each user's helper keeps its own journal here, so that one helper's recovery never undoes another's live tunnels. */
export const STATE_ROOT = '/var/lib/wirefly';

/** How often peers whose handshakes keep failing get their host names resolved again (reresolve-dns's timer). */
const ENDPOINT_REFRESH_INTERVAL_MS = 30_000;

/** Routes, addresses, links and sleep: each change makes the tunnels handshake again and re-resolve their endpoints. */
function watchNetwork(manager: TunnelManager): () => void {
  const events = new NetworkEvents({
    watch: watchRouteChanges,
    clocks: systemClocks(),
    ownInterfaces: () => new Set(manager.list().map((tunnel) => tunnel.name)),
    onChange: (reason) => void manager.networkChanged(reason),
    onError: (error) =>
      manager.log(
        'error',
        'helper',
        undefined,
        `watching the network failed, tunnels will wait for their timers: ${error.message}`,
      ),
  });
  const refresh = setInterval(() => void manager.refreshStaleEndpoints(), ENDPOINT_REFRESH_INTERVAL_MS);
  refresh.unref();
  const watchdog = new DoctorWatchdog(manager);
  const checkup = setInterval(() => watchdog.tick(), DoctorWatchdog.INTERVAL_MS);
  checkup.unref();
  return () => {
    clearInterval(checkup);
    clearInterval(refresh);
    events.close();
  };
}

export function defaultStateDirectory(user: string): string {
  return join(STATE_ROOT, user);
}

/** `--user console`: serve whoever is at the screen (macOS's SMAppService daemon; os/darwin/console-user.ts says why). */
export const CONSOLE_USER = 'console';

/** How often a helper serving the console user looks who is there: a switch of user takes this long to reach the socket. */
const CONSOLE_CHECK_INTERVAL_MS = 2_000;

export interface ServeOptions {
  /** The desktop user the socket is for: a uid, on Windows a SID, on macOS also CONSOLE_USER. */
  readonly user: string;
  /** Absent for CONSOLE_USER: the socket is that of whichever uid is at the console. */
  readonly socketPath?: string;
  /** Holds the crash journal. */
  readonly stateDirectory: string;
  readonly settingsPath: string;
  readonly verbose: boolean;
  /**
   * macOS: serve even from files someone other than root could change, with a
   * warning. For the helper the app starts for one session through the
   * password prompt: whoever types the password then runs these files as
   * root, as sudo would, and it may run from anywhere (a disk image, a
   * checkout). A daemon never passes it, since it starts again with no one asked.
   */
  readonly allowUnsafeCode?: true;
}

export const SERVE_USAGE =
  'Usage: wirefly-helper serve --user UID [--socket PATH] [--state-dir DIR] [--settings FILE] [--verbose] [--allow-unsafe-code]\n' +
  '       wirefly-helper serve --user console --state-dir DIR [--settings FILE] [--verbose]   (macOS)\n';

/** What `--user` names: a uid; Windows has none, and its named pipe's access list names the user's SID instead. */
function userProblem(value: string | undefined, platform: NodeJS.Platform): string | undefined {
  if (platform === 'win32') {
    return value !== undefined && /^S-1-5-21(-\d{1,10}){4}$/.test(value)
      ? undefined
      : "--user needs the user's SID (S-1-5-21-...)";
  }
  const uid = Number(value);
  return value !== undefined && /^\d+$/.test(value) && Number.isSafeInteger(uid)
    ? undefined
    : '--user needs a numeric uid';
}

export function parseServeArguments(
  argv: readonly string[],
  platform: NodeJS.Platform = process.platform,
): ServeOptions | string {
  const values = new Map<string, string>();
  let verbose = false;
  let allowUnsafeCode = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--verbose' || arg === '--allow-unsafe-code') {
      if (arg === '--verbose') verbose = true;
      else allowUnsafeCode = true;
      continue;
    }
    const value = argv[i + 1];
    if (!['--user', '--socket', '--state-dir', '--settings'].includes(arg) || value === undefined) return SERVE_USAGE;
    values.set(arg, value);
    i += 1;
  }
  const user = values.get('--user');
  const settingsPath =
    values.get('--settings') ?? (platform === 'win32' ? win32HelperSettingsPath() : HELPER_SETTINGS_PATH);
  if (user === CONSOLE_USER && platform === 'darwin') {
    // Its socket moves with the user, and its state belongs to no one user: both must be the daemon's own.
    const stateDirectory = values.get('--state-dir');
    if (values.has('--socket') || stateDirectory === undefined || allowUnsafeCode)
      return `--user console takes --state-dir and no --socket or --allow-unsafe-code\n${SERVE_USAGE}`;
    return { user, stateDirectory, settingsPath, verbose };
  }
  const problem = userProblem(user, platform);
  if (problem !== undefined || user === undefined) return `${problem}\n${SERVE_USAGE}`;
  const windows = platform === 'win32';
  return {
    user,
    socketPath: values.get('--socket') ?? (windows ? helperPipePath(user) : helperSocketPath(Number(user), platform)),
    stateDirectory: values.get('--state-dir') ?? (windows ? win32StateDirectory(user) : defaultStateDirectory(user)),
    settingsPath,
    verbose,
    ...(allowUnsafeCode ? { allowUnsafeCode } : {}),
  };
}

function formatLogLine(line: LogLine): string {
  const tunnel = line.tunnel ? ` (${line.tunnel})` : '';
  return `${new Date(line.at).toISOString()} ${line.level.toUpperCase()} ${line.source}${tunnel}: ${line.message}\n`;
}

/** Each failure is logged, and the others still come up. */
async function bringUpBootTunnels(boot: BootTunnels, manager: TunnelManager): Promise<void> {
  for (const tunnel of await boot.load()) {
    if ('problem' in tunnel) {
      manager.log('error', 'helper', tunnel.name, `the boot copy cannot be read: ${tunnel.problem}`);
      continue;
    }
    manager.log('info', 'helper', tunnel.name, 'connecting at boot');
    await manager
      .up(tunnel)
      .catch((error: Error) =>
        manager.log('error', 'helper', tunnel.name, `connecting at boot failed: ${error.message}`),
      );
  }
}

/** What serve runs on, and the files it runs as root: this process's own unless a test says otherwise. */
export interface ServeContext {
  readonly platform: Platform;
  readonly executable: string;
  readonly script: string;
}

function processContext(): ServeContext {
  return { platform: currentPlatform(), executable: process.execPath, script: process.argv[1] ?? '' };
}

/**
 * Before anything else: a root helper whose files someone else could change
 * (an update or a copy that left the app user-owned) refuses to serve, so that
 * the hole shows instead of staying open. This is defence in depth only: an
 * attacker who has already rewritten the helper's JavaScript has rewritten
 * this check too. What keeps them out is that the app installs no daemon from
 * files that are not root's (app/src/helper-client/launchd-service.ts).
 */
async function checkOwnCode(
  context: ServeContext,
  options: ServeOptions,
  write: (line: LogLine) => void,
): Promise<void> {
  const problem = await context.platform.codeLocationProblem?.(context.executable, context.script);
  if (problem === undefined) return;
  // Thrown, it is the one line `wirefly-helper: …` in the daemon's log (StandardErrorPath), and a failed exit.
  if (!options.allowUnsafeCode)
    throw new Error(
      `refusing to serve as root: ${problem}, so someone other than root could change the helper; make Wirefly.app root's again (install the helper service from the app once more, or chown -R root:wheel and chmod -R go-w it)`,
    );
  write({ at: Date.now(), level: 'warn', source: 'helper', message: `serving for this session, though ${problem}` });
}

/** Runs the helper until a signal stops it; resolves once everything it changed is undone. */
export async function serve(options: ServeOptions, context: ServeContext = processContext()): Promise<void> {
  const write = (line: LogLine) => {
    if (options.verbose || line.level !== 'debug') process.stderr.write(formatLogLine(line));
  };
  const { platform } = context;
  // First of all: Windows' service manager gives a service 30 s to answer it.
  let requestStop!: (reason: string) => void;
  const stopRequest = new Promise<string>((resolve) => (requestStop = resolve));
  process.once('SIGTERM', () => requestStop('SIGTERM'));
  process.once('SIGINT', () => requestStop('SIGINT'));
  const serviceManager = platform.serviceRuntime?.start(() => requestStop('the service manager asked to stop'));
  await checkOwnCode(context, options, write);
  await platform.store.prepare(options.stateDirectory);
  // Always on blocks from the first moment, before recovery and before any tunnel (Linux's nftables so far).
  const killSwitch =
    platform.name === 'linux'
      ? await KillSwitchPolicyService.open(options.stateDirectory, options.user, spawnCommand)
      : undefined;
  await killSwitch?.service.apply();
  const journal = await Journal.open(join(options.stateDirectory, 'journal'), platform.network.undoPerformer());
  const recovery = await recoverCrashedHelper(journal);
  const manager = new TunnelManager({
    ...(killSwitch ? { admissions: killSwitch.service } : {}),
    ...(platform.name === 'linux' ? { doctor: new ConnectionDoctor(systemProbes) } : {}),
    startEngine: startEngineInProcess,
    network: journaledNetwork(journal, platform.network),
    settings: () => {
      const loaded = loadHelperSettings(options.settingsPath);
      if (loaded.problem) manager.log('warn', 'helper', undefined, loaded.problem);
      return loaded.settings;
    },
  });
  manager.onEvent((event) => {
    if (event.event === 'log') write(event.line);
  });
  if (killSwitch?.problem) manager.log('warn', 'helper', undefined, killSwitch.problem);
  const policy = killSwitch?.service.policy();
  if (policy?.mode === 'always-on')
    manager.log('info', 'helper', undefined, `kill switch always on${policy.allowLan ? ', LAN allowed' : ''}`);
  if (recovery.recovered.length > 0) {
    manager.log(
      'info',
      'helper',
      undefined,
      `undid what a previous helper left: ${recovery.steps} changes of ${recovery.recovered.join(', ')}`,
    );
  }
  for (const problem of recovery.socketProblems) manager.log('warn', 'helper', undefined, problem);
  if (recovery.removedSockets.length > 0)
    manager.log(
      'info',
      'helper',
      undefined,
      `removed the control sockets a previous helper left: ${recovery.removedSockets.join(', ')}`,
    );
  const stopWatching = watchNetwork(manager);
  const boot = new BootTunnels(join(options.stateDirectory, 'boot'));
  const listen = (user: string, path: string) =>
    startControlServer({
      path,
      user,
      manager,
      boot,
      ...(killSwitch ? { killSwitch: killSwitch.service } : {}),
      helperVersion: helperVersion(),
    });
  const control =
    options.socketPath === undefined
      ? await followConsole(platform, manager, (uid) => listen(String(uid), helperSocketPath(uid, platform.name)))
      : await serveOneUser(platform, manager, options, options.socketPath, listen);
  await bringUpBootTunnels(boot, manager);
  manager.log('info', 'helper', undefined, `${await stopRequest}: bringing every tunnel down`);
  await control.close();
  stopWatching();
  await manager.shutdown();
  serviceManager?.stopped(0);
}

async function serveOneUser(
  platform: Platform,
  manager: TunnelManager,
  options: ServeOptions,
  socketPath: string,
  listen: (user: string, path: string) => Promise<ControlServer>,
): Promise<{ close(): Promise<void> }> {
  const { user } = options;
  const server = await listen(user, socketPath);
  // A named pipe has no folder: the pid file goes with the state on Windows.
  const pidFile = await writeHelperPidFile(platform.name === 'win32' ? options.stateDirectory : dirname(socketPath));
  manager.log(
    'info',
    'helper',
    undefined,
    `serving ${platform.name === 'win32' ? 'SID' : 'uid'} ${user} on ${socketPath}`,
  );
  return {
    async close() {
      await server.close();
      await pidFile.remove();
    },
  };
}

/** No pid file: only launchd starts a helper that follows the console, and launchd stops it. */
async function followConsole(
  platform: Platform,
  manager: TunnelManager,
  listen: (uid: number) => Promise<ControlServer>,
): Promise<{ close(): Promise<void> }> {
  const { consoleUid } = platform;
  if (!consoleUid) throw new Error(`--user console is macOS's alone, not ${platform.name}'s`);
  const follower = new ConsoleFollower({
    consoleUid,
    listen,
    log: (level, message) => manager.log(level, 'helper', undefined, message),
  });
  await follower.check();
  if (follower.uid === undefined) manager.log('info', 'helper', undefined, 'nobody is at the console yet');
  // Not unref'd: at the login window this timer is all that keeps the daemon waiting for a user.
  const timer = setInterval(() => void follower.check(), CONSOLE_CHECK_INTERVAL_MS);
  return {
    async close() {
      clearInterval(timer);
      await follower.close();
    },
  };
}
