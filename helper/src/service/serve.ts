// `wirefly-helper serve`: the root helper. It first undoes what a crashed
// predecessor left in the system, then serves the control socket until SIGTERM
// or SIGINT, when it brings every tunnel down before exiting.
import { dirname, join } from 'node:path';
import { spawnCommand } from '../os/command.js';
import { systemClocks, watchRouteChanges } from '../os/network-changes.js';
import { currentPlatform } from '../os/platform.js';
import { helperPipePath } from '../os/win32/control-endpoint.js';
import { win32HelperSettingsPath, win32StateDirectory } from '../os/win32/state-store.js';
import { helperSocketPath, type LogLine } from '../rpc/index.js';
import { BootTunnels } from './boot-tunnels.js';
import { startControlServer } from './control-server.js';
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

export interface ServeOptions {
  /** The desktop user the socket is for: a uid, or on Windows a SID. */
  readonly user: string;
  readonly socketPath: string;
  /** Holds the crash journal. */
  readonly stateDirectory: string;
  readonly settingsPath: string;
  readonly verbose: boolean;
}

export const SERVE_USAGE =
  'Usage: wirefly-helper serve --user UID [--socket PATH] [--state-dir DIR] [--settings FILE] [--verbose]\n';

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
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--verbose') {
      verbose = true;
      continue;
    }
    const value = argv[i + 1];
    if (!['--user', '--socket', '--state-dir', '--settings'].includes(arg) || value === undefined) return SERVE_USAGE;
    values.set(arg, value);
    i += 1;
  }
  const problem = userProblem(values.get('--user'), platform);
  if (problem) return `${problem}\n${SERVE_USAGE}`;
  const user = values.get('--user')!;
  const windows = platform === 'win32';
  return {
    user,
    socketPath: values.get('--socket') ?? (windows ? helperPipePath(user) : helperSocketPath(Number(user), platform)),
    stateDirectory: values.get('--state-dir') ?? (windows ? win32StateDirectory(user) : defaultStateDirectory(user)),
    settingsPath: values.get('--settings') ?? (windows ? win32HelperSettingsPath() : HELPER_SETTINGS_PATH),
    verbose,
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

/** Runs the helper until a signal stops it; resolves once everything it changed is undone. */
export async function serve(options: ServeOptions): Promise<void> {
  const write = (line: LogLine) => {
    if (options.verbose || line.level !== 'debug') process.stderr.write(formatLogLine(line));
  };
  const platform = currentPlatform();
  // First of all: Windows' service manager gives a service 30 s to answer it.
  let requestStop!: (reason: string) => void;
  const stopRequest = new Promise<string>((resolve) => (requestStop = resolve));
  process.once('SIGTERM', () => requestStop('SIGTERM'));
  process.once('SIGINT', () => requestStop('SIGINT'));
  const serviceManager = platform.serviceRuntime?.start(() => requestStop('the service manager asked to stop'));
  await platform.store.prepare(options.stateDirectory);
  // Always on blocks from the first moment, before recovery and before any tunnel (Linux's nftables so far).
  const killSwitch =
    platform.name === 'linux'
      ? await KillSwitchPolicyService.open(options.stateDirectory, options.user, spawnCommand)
      : undefined;
  await killSwitch?.service.apply();
  const journal = await Journal.open(join(options.stateDirectory, 'journal'), platform.network.undoPerformer());
  const recovery = await journal.recover();
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
  const stopWatching = watchNetwork(manager);
  const boot = new BootTunnels(join(options.stateDirectory, 'boot'));
  const server = await startControlServer({
    path: options.socketPath,
    user: options.user,
    manager,
    boot,
    ...(killSwitch ? { killSwitch: killSwitch.service } : {}),
    helperVersion: helperVersion(),
  });
  // A named pipe has no folder: the pid file goes with the state on Windows.
  const pidFile = await writeHelperPidFile(
    platform.name === 'win32' ? options.stateDirectory : dirname(options.socketPath),
  );
  manager.log(
    'info',
    'helper',
    undefined,
    `serving ${platform.name === 'win32' ? 'SID' : 'uid'} ${options.user} on ${options.socketPath}`,
  );
  await bringUpBootTunnels(boot, manager);
  manager.log('info', 'helper', undefined, `${await stopRequest}: bringing every tunnel down`);
  await server.close();
  stopWatching();
  await manager.shutdown();
  await pidFile.remove();
  serviceManager?.stopped(0);
}
