// The tunnels this helper runs: brings each up from config text it validates
// itself (never trusting the caller), runs its engine in-process, applies the
// system networking, and on down or shutdown undoes exactly what up did.
import {
  checkConfig,
  keyToBase64,
  publicKeyFromPrivate,
  type ConfigDiagnostic,
  type WgQuickConfig,
} from '../config/index.js';
import {
  RequestError,
  type ConfigErrorInfo,
  type Diagnosis,
  type Event,
  type LogLine,
  type ParamsOf,
  type TunnelStats,
  type TunnelSummary,
} from '../rpc/index.js';
import { parseIpAddress, type Endpoint, type IpAddress } from '../net/ip.js';
import type { UapiDeviceState } from '../uapi/model.js';
import type { Logger } from '../runtime/log.js';
import type { ConnectionDoctor } from './doctor/doctor.js';
import { engineSetRequest, numericEndpoints } from './engine-request.js';
import type { TunnelAdmissions } from './kill-switch-policy.js';
import { hostNames, refreshEndpoints, staleHosts, type ResolvedTunnel } from './endpoint-refresh.js';
import { HELPER_SETTINGS_PATH, type HelperSettings } from './helper-settings.js';
import { tunnelStats } from './peer-stats.js';
import { resolveEndpointHosts, resolveHost, type HostResolver } from './resolve-hosts.js';
import { runScripts, type ScriptRunner } from './scripts.js';
import { tunnelConflicts } from './tunnel-conflicts.js';
import type { EngineStarter, TunnelEngine } from './tunnel-engine.js';
import type { AppliedNetwork, TunnelNetwork } from './tunnel-network.js';

export interface TunnelManagerOptions {
  readonly startEngine: EngineStarter;
  readonly network: TunnelNetwork;
  /** Read at every up, so that the administrator's changes apply without a restart. */
  readonly settings: () => HelperSettings;
  readonly resolveHost?: HostResolver;
  readonly runScripts?: ScriptRunner;
  readonly now?: () => number;
  /** Without one, tunnel.diagnose is refused. */
  readonly doctor?: ConnectionDoctor;
  /** The kill switch beyond one tunnel (Always on, Allow LAN), told of each tunnel's endpoints. */
  readonly admissions?: TunnelAdmissions;
}

export type ManagerEvent = Extract<Event, { event: 'tunnel.state' | 'log' }>;

interface Tunnel {
  readonly name: string;
  readonly config: WgQuickConfig;
  readonly killSwitch: boolean;
  readonly startedBy: string;
  state: TunnelSummary['state'];
  error?: string;
  engine?: TunnelEngine;
  network?: AppliedNetwork;
  /** Host-name endpoints as the engine uses them now (endpoint-refresh.ts). */
  resolvedHosts: Map<string, IpAddress>;
  /** Wall-clock ms at which it became active. */
  upSince: number;
  diagnosis?: Diagnosis;
  /** Set while the manager itself stops the engine, so that its closing is no surprise. */
  stopping: boolean;
  /** Runs for ROAM_FOLLOW_DELAY_MS after the network followed a roaming peer; moves meanwhile wait for its end. */
  roamTimer?: NodeJS.Timeout;
  /** A configured peer moved again while roamTimer ran. */
  roamPending?: boolean;
}

/**
 * The network follows a roaming peer at once (until it does, a full tunnel's
 * replies to the new address have no way around the tunnel), and then at most
 * once in this long, gathering the moves of a burst into one reload.
 */
export const ROAM_FOLLOW_DELAY_MS = 1_000;

/** The engine's endpoints of the peers the config gives one: those a client's host routes and kill switch name. */
function configuredEndpoints(config: WgQuickConfig, state: UapiDeviceState): Endpoint[] {
  const keys = new Set(config.peers.filter((peer) => peer.endpoint).map((peer) => keyToBase64(peer.publicKey)));
  const endpoints: Endpoint[] = [];
  for (const peer of state.peers) {
    if (!peer.endpoint || !keys.has(keyToBase64(peer.publicKey))) continue;
    const { family, bytes, port } = peer.endpoint;
    endpoints.push({ family, bytes, port });
  }
  return endpoints;
}

function routesEverything(config: WgQuickConfig): boolean {
  return config.peers.some((peer) => peer.allowedIps.some((cidr) => cidr.prefix === 0));
}

function errorInfo(d: ConfigDiagnostic): ConfigErrorInfo {
  return { line: d.line, column: d.column, code: d.code, message: d.message, ...(d.key ? { key: d.key } : {}) };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class TunnelManager {
  private readonly tunnels = new Map<string, Tunnel>();
  /** The config and error of each tunnel's last failed start, for the doctor. */
  private readonly failures = new Map<string, { config: WgQuickConfig; error: string }>();
  private readonly diagnoses = new Map<string, Promise<Diagnosis>>();
  private readonly listeners = new Set<(event: ManagerEvent) => void>();
  private readonly pending = new Set<Promise<unknown>>();
  private shuttingDown = false;
  private readonly resolveHost: HostResolver;
  private readonly runScripts: ScriptRunner;
  private readonly now: () => number;

  constructor(private readonly options: TunnelManagerOptions) {
    this.resolveHost = options.resolveHost ?? resolveHost;
    this.runScripts = options.runScripts ?? runScripts;
    this.now = options.now ?? Date.now;
  }

  onEvent(listener: (event: ManagerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list(): TunnelSummary[] {
    return [...this.tunnels.values()].map((tunnel) => this.summary(tunnel));
  }

  /** Counters of every active tunnel, read now. */
  stats(): TunnelStats[] {
    const stats: TunnelStats[] = [];
    for (const tunnel of this.tunnels.values()) {
      if (tunnel.state === 'active' && tunnel.engine)
        stats.push(tunnelStats(tunnel.name, tunnel.engine.state(), this.now()));
    }
    return stats;
  }

  /** `startedBy` names the client that asked, as its hello did, for anyone who lists the tunnels later. */
  up(params: ParamsOf<'tunnel.up'>, startedBy = 'boot'): Promise<TunnelSummary & { replaced: string[] }> {
    return this.track(this.bringUp(params, startedBy));
  }

  down(name: string): Promise<void> {
    return this.track(this.bringDown(name));
  }

  /** Brings every tunnel down, once the operations under way have finished; later requests are refused. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    await Promise.allSettled([...this.tunnels.keys()].map((name) => this.bringDown(name)));
  }

  /**
   * The network changed or the machine woke (network-events.ts): every active
   * tunnel handshakes again at once, then re-resolves its host-name endpoints
   * (the lookup may be slow on a network just joined, so it does not hold up
   * the handshake) and handshakes once more where one moved.
   */
  networkChanged(reason: string): Promise<void> {
    return this.track(
      this.forEachActive(async (tunnel) => {
        const started = tunnel.engine.networkChanged();
        this.log('info', 'helper', tunnel.name, `network changed (${reason}): ${started} handshake(s) started`);
        await this.refreshHosts(tunnel, hostNames(tunnel.config));
      }),
    );
  }

  /**
   * Runs the connection doctor on a tunnel, up or failed; its verdict is kept
   * in the tunnel's summary until the tunnel goes down.
   */
  diagnose(name: string, target?: string): Promise<Diagnosis> {
    // One doctor per tunnel at a time: two would ask for handshakes and ping over each other.
    const running = this.diagnoses.get(name);
    if (running) return running;
    const diagnosis = this.runDoctor(name, target);
    this.diagnoses.set(name, diagnosis);
    const forget = () => void this.diagnoses.delete(name);
    diagnosis.then(forget, forget);
    return diagnosis;
  }

  private async runDoctor(name: string, target?: string): Promise<Diagnosis> {
    const tunnel = this.tunnels.get(name);
    const failure = this.failures.get(name);
    const config = tunnel?.config ?? failure?.config;
    if (!config) throw new RequestError('no-such-tunnel', `there is no tunnel ${name}, nor a failed start of one`);
    const doctor = this.options.doctor;
    if (!doctor) throw new RequestError('internal-error', 'this helper has no connection doctor');
    const { privateKey } = config.interface;
    const targetAddress = target === undefined ? undefined : parseIpAddress(target);
    const error = tunnel?.error ?? (tunnel ? undefined : failure?.error);
    const diagnosis = await doctor.diagnose({
      name,
      config,
      ...(tunnel?.state === 'active' && tunnel.engine ? { engine: tunnel.engine } : {}),
      ...(error ? { error } : {}),
      ...(privateKey ? { publicKey: publicKeyFromPrivate(privateKey) } : {}),
      ...(targetAddress ? { target: targetAddress } : {}),
    });
    this.log(diagnosis.cause === 'ok' ? 'info' : 'warn', 'helper', name, `doctor: ${diagnosis.summary}`);
    if (tunnel && this.tunnels.get(name) === tunnel) {
      tunnel.diagnosis = diagnosis;
      this.emit({ type: 'event', event: 'tunnel.state', tunnel: this.summary(tunnel) });
    }
    return diagnosis;
  }

  /** Re-resolves the host names of peers whose handshakes have failed for a while (reresolve-dns). */
  refreshStaleEndpoints(): Promise<void> {
    return this.track(this.forEachActive((tunnel) => this.refreshHosts(tunnel, staleHosts(tunnel, this.now()))));
  }

  private async forEachActive(step: (tunnel: ResolvedTunnel) => Promise<void>): Promise<void> {
    const active = [...this.tunnels.values()].filter((tunnel) => tunnel.state === 'active' && tunnel.engine);
    await Promise.allSettled(
      active.map((tunnel) =>
        step({ ...tunnel, engine: tunnel.engine! }).catch((error: unknown) =>
          this.log('error', 'helper', tunnel.name, `re-checking the endpoints failed: ${describe(error)}`),
        ),
      ),
    );
  }

  private async refreshHosts(tunnel: ResolvedTunnel, hosts: ReadonlySet<string>): Promise<void> {
    if (hosts.size === 0) return;
    const { changed, failed } = await refreshEndpoints(tunnel, hosts, this.resolveHost);
    for (const problem of failed) this.log('warn', 'helper', tunnel.name, `cannot resolve endpoint ${problem}`);
    if (changed.length === 0) return;
    this.log('info', 'helper', tunnel.name, `endpoint moved: ${changed.join(', ')}`);
    await this.options.admissions?.admit(
      tunnel.name,
      numericEndpoints(tunnel.config, tunnel.resolvedHosts),
      tunnel.engine.state().fwmark,
    );
    // Before the engine handshakes with the new address: its way around the tunnel, and through the kill switch.
    // Failing that, the engine still tries the new address, which may be reachable anyway.
    const managed = this.tunnels.get(tunnel.name);
    if (managed) await this.followEndpoints(managed);
    tunnel.engine.networkChanged();
  }

  private async followEndpoints(tunnel: Tunnel): Promise<void> {
    const { network, engine } = tunnel;
    if (!network?.updateEndpoints || !engine) return;
    await network
      .updateEndpoints(configuredEndpoints(tunnel.config, engine.state()))
      .catch((error: unknown) =>
        this.log('error', 'helper', tunnel.name, `following the moved endpoint failed: ${describe(error)}`),
      );
  }

  private async listenPortChanged(tunnel: Tunnel, port: number): Promise<void> {
    const network = tunnel.network;
    if (!network?.updateEngineListenPort) return;
    this.log('info', 'helper', tunnel.name, `the engine moved to port ${port}: the kill switch follows`);
    await network
      .updateEngineListenPort(port)
      .catch((error: unknown) =>
        this.log('error', 'helper', tunnel.name, `following the new port failed: ${describe(error)}`),
      );
  }

  /** A peer of the config's was heard from elsewhere: the network follows (ROAM_FOLLOW_DELAY_MS). */
  private peerRoamed(tunnel: Tunnel, publicKey: Uint8Array): void {
    const key = keyToBase64(publicKey);
    if (!tunnel.network?.updateEndpoints) return;
    if (!tunnel.config.peers.some((peer) => peer.endpoint && keyToBase64(peer.publicKey) === key)) return;
    if (tunnel.roamTimer) tunnel.roamPending = true;
    else this.followRoam(tunnel);
  }

  private followRoam(tunnel: Tunnel): void {
    this.log('info', 'helper', tunnel.name, 'a peer roamed to another address: following it');
    void this.track(this.followEndpoints(tunnel));
    tunnel.roamTimer = setTimeout(() => {
      tunnel.roamTimer = undefined;
      if (!tunnel.roamPending || !tunnel.network) return;
      tunnel.roamPending = false;
      this.followRoam(tunnel);
    }, ROAM_FOLLOW_DELAY_MS);
    tunnel.roamTimer.unref();
  }

  log(level: LogLine['level'], source: LogLine['source'], tunnel: string | undefined, message: string): void {
    const line: LogLine = { at: this.now(), level, source, message, ...(tunnel ? { tunnel } : {}) };
    this.emit({ type: 'event', event: 'log', line });
  }

  private track<T>(operation: Promise<T>): Promise<T> {
    this.pending.add(operation);
    const forget = () => void this.pending.delete(operation);
    operation.then(forget, forget);
    return operation;
  }

  private emit(event: ManagerEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private summary(tunnel: Tunnel): TunnelSummary {
    const privateKey = tunnel.config.interface.privateKey;
    return {
      name: tunnel.name,
      state: tunnel.state,
      killSwitch: tunnel.killSwitch,
      startedBy: tunnel.startedBy,
      ...(privateKey ? { publicKey: keyToBase64(publicKeyFromPrivate(privateKey)) } : {}),
      ...(tunnel.error ? { error: tunnel.error } : {}),
      ...(tunnel.diagnosis ? { diagnosis: tunnel.diagnosis } : {}),
    };
  }

  private setState(tunnel: Tunnel, state: TunnelSummary['state'], error?: string): void {
    tunnel.state = state;
    tunnel.error = error;
    this.emit({ type: 'event', event: 'tunnel.state', tunnel: this.summary(tunnel) });
  }

  /** The config, or the reason it is refused (as a RequestError). Nothing has changed when this throws. */
  validate(configText: string): WgQuickConfig {
    const checked = checkConfig(configText);
    if (!checked.config) {
      const first = checked.errors[0];
      const where = first && first.line > 0 ? `line ${first.line}: ` : '';
      throw new RequestError(
        'invalid-config',
        `the config is not valid: ${where}${first?.message ?? 'unreadable'}`,
        checked.errors.map(errorInfo),
      );
    }
    const scripts = checked.warnings.filter((warning) => warning.code === 'scripts-present');
    if (scripts.length > 0 && !this.options.settings().allowScripts) {
      const keys = scripts.map((warning) => `${warning.key} (line ${warning.line})`).join(', ');
      throw new RequestError(
        'scripts-not-allowed',
        `the config has ${keys}: scripts run as root, and this helper runs none unless ${HELPER_SETTINGS_PATH} (owned by root) says {"allowScripts": true}`,
        scripts.map(errorInfo),
      );
    }
    return checked.config;
  }

  private async bringUp(
    params: ParamsOf<'tunnel.up'>,
    startedBy: string,
  ): Promise<TunnelSummary & { replaced: string[] }> {
    if (this.shuttingDown) throw new RequestError('tunnel-busy', 'the helper is shutting down');
    const existing = this.tunnels.get(params.name);
    if (existing?.state === 'active') throw new RequestError('tunnel-exists', `tunnel ${params.name} is already up`);
    if (existing && existing.state !== 'error')
      throw new RequestError('tunnel-busy', `tunnel ${params.name} is ${existing.state}`);
    const config = this.validate(params.configText);
    const killSwitch = params.killSwitch ?? routesEverything(config);
    const conflicts = this.conflictsWith(params.name, config, killSwitch);
    if (conflicts.length > 0 && !params.replaceConflicting) {
      const [first] = conflicts;
      throw new RequestError(
        'tunnel-conflict',
        `tunnel ${params.name} conflicts with the active tunnel ${first!.name} (${first!.reasons.join(', ')}): ` +
          `bring ${conflicts.map((c) => c.name).join(', ')} down first, or switch to ${params.name} (wirefly up --switch)`,
      );
    }
    for (const { name, reasons } of conflicts) {
      this.log(
        'info',
        'helper',
        name,
        `switching to ${params.name}, which cannot run beside it: ${reasons.join(', ')}`,
      );
      await this.bringDown(name);
    }
    const tunnel: Tunnel = {
      name: params.name,
      config,
      killSwitch,
      startedBy,
      state: 'activating',
      stopping: false,
      resolvedHosts: new Map(),
      upSince: 0,
    };
    this.tunnels.set(tunnel.name, tunnel);
    this.setState(tunnel, 'activating');
    const started = this.now();
    try {
      await this.activate(tunnel);
    } catch (error) {
      const message = describe(error);
      this.log('error', 'helper', tunnel.name, `bringing the tunnel up failed: ${message}`);
      await this.deactivate(tunnel, false);
      // Everything up did is undone: the tunnel is simply down again, and the reply says why.
      this.tunnels.delete(tunnel.name);
      this.failures.set(tunnel.name, { config, error: message });
      this.setState(tunnel, 'inactive');
      throw new RequestError('tunnel-failed', `tunnel ${tunnel.name} could not come up: ${message}`);
    }
    tunnel.upSince = this.now();
    this.failures.delete(tunnel.name);
    this.setState(tunnel, 'active');
    this.log(
      'info',
      'helper',
      tunnel.name,
      `up in ${this.now() - started} ms${tunnel.killSwitch ? ', kill switch on' : ''}`,
    );
    return { ...this.summary(tunnel), replaced: conflicts.map((c) => c.name) };
  }

  /** The other tunnels that cannot run beside `config`; one still changing state makes the request wait its turn. */
  private conflictsWith(
    name: string,
    config: WgQuickConfig,
    killSwitch: boolean,
  ): { name: string; reasons: string[] }[] {
    const found: { name: string; reasons: string[] }[] = [];
    for (const other of this.tunnels.values()) {
      if (other.name === name || other.state === 'inactive' || other.state === 'error') continue;
      const reasons = tunnelConflicts(config, other.config);
      // Each lets through only its own tunnel: together they would block each other's traffic.
      if (killSwitch && other.killSwitch) reasons.push('both block untunneled traffic');
      if (reasons.length === 0) continue;
      if (other.state !== 'active')
        throw new RequestError('tunnel-busy', `tunnel ${other.name}, which ${name} conflicts with, is ${other.state}`);
      found.push({ name: other.name, reasons });
    }
    return found;
  }

  private async activate(tunnel: Tunnel): Promise<void> {
    const { name, config } = tunnel;
    if (config.interface.saveConfig)
      this.log('warn', 'helper', name, 'SaveConfig is ignored: the app keeps the config, not the helper');
    const resolvedHosts = await resolveEndpointHosts(config, this.resolveHost);
    tunnel.resolvedHosts = resolvedHosts;
    const admissions = this.options.admissions;
    // Under Always on, the endpoints must be let through before the engine first sends to them.
    await admissions?.admit(name, numericEndpoints(config, resolvedHosts));
    await this.runScripts(config.interface.preUp, name);
    const engine = await this.options.startEngine(name, this.engineLogger(name));
    tunnel.engine = engine;
    engine.onClosed((error) => void this.engineClosed(tunnel, error));
    engine.onPeerRoamed((publicKey) => this.peerRoamed(tunnel, publicKey));
    engine.onListenPortChanged((port) => void this.track(this.listenPortChanged(tunnel, port)));
    await engine.configure(engineSetRequest(config, resolvedHosts));
    tunnel.network = await this.options.network.apply({
      interfaceName: engine.interfaceName,
      config,
      killSwitch: tunnel.killSwitch,
      allowLan: admissions?.allowLan() ?? false,
      resolvedHosts,
      setFwmark: (mark) => engine.configure({ fwmark: mark, replacePeers: false, peers: [] }),
      engineListenPort: engine.state().listenPort,
    });
    await admissions?.admit(engine.interfaceName, numericEndpoints(config, resolvedHosts), engine.state().fwmark);
    // %i is the OS's interface name, as wg-quick has it (utunN on macOS).
    await this.runScripts(config.interface.postUp, engine.interfaceName);
  }

  private async bringDown(name: string): Promise<void> {
    const tunnel = this.tunnels.get(name);
    if (!tunnel) throw new RequestError('no-such-tunnel', `there is no tunnel ${name}`);
    if (tunnel.state === 'activating' || tunnel.state === 'deactivating')
      throw new RequestError('tunnel-busy', `tunnel ${name} is ${tunnel.state}`);
    if (tunnel.state === 'active') {
      const started = this.now();
      this.setState(tunnel, 'deactivating');
      await this.deactivate(tunnel, true);
      this.log('info', 'helper', name, `down in ${this.now() - started} ms`);
    }
    this.tunnels.delete(name);
    this.setState(tunnel, 'inactive');
  }

  /** Undoes whatever activate got to; every step is tried even when one before it failed. */
  private async deactivate(tunnel: Tunnel, withScripts: boolean): Promise<void> {
    const { name, config } = tunnel;
    const attempt = async (what: string, step: () => Promise<void>) => {
      try {
        await step();
      } catch (error) {
        this.log('error', 'helper', name, `${what} failed: ${describe(error)}`);
      }
    };
    const ifname = tunnel.engine?.interfaceName ?? name;
    if (withScripts) await attempt('PreDown', () => this.runScripts(config.interface.preDown, ifname));
    clearTimeout(tunnel.roamTimer);
    tunnel.roamTimer = undefined;
    tunnel.roamPending = false;
    const network = tunnel.network;
    tunnel.network = undefined;
    if (network) await attempt('restoring the network settings', () => network.undo());
    const engine = tunnel.engine;
    tunnel.engine = undefined;
    tunnel.stopping = true;
    if (engine) await attempt('stopping the engine', () => engine.close());
    const admissions = this.options.admissions;
    if (admissions) await attempt('closing the kill switch to it', () => admissions.release(ifname));
    if (withScripts) await attempt('PostDown', () => this.runScripts(config.interface.postDown, ifname));
  }

  /** The engine stopped by itself (its interface was deleted, the TUN failed): the tunnel is gone, so is its networking. */
  private async engineClosed(tunnel: Tunnel, error?: Error): Promise<void> {
    // While activating, the failing step reports it and undoes the rest.
    if (tunnel.stopping || tunnel.state !== 'active') return;
    const why = error ? error.message : 'its interface went away';
    this.log('error', 'engine', tunnel.name, `the engine stopped: ${why}`);
    tunnel.engine = undefined;
    await this.deactivate(tunnel, false);
    if (this.tunnels.get(tunnel.name) === tunnel) this.setState(tunnel, 'error', `the engine stopped: ${why}`);
  }

  private engineLogger(tunnel: string): Logger {
    return (level, message) => this.log(level === 'error' ? 'error' : 'debug', 'engine', tunnel, message);
  }
}
