// The app's lasting link to the helper: connects, reconnects with backoff, keeps
// the helper's state (running, not running, starting, incompatible, not
// permitted) and the helper's view of the tunnels, and passes on its events.
import type { HelperState } from '../api/wirefly-api.js';
import { HelperConnection } from '../../../helper/src/client/helper-connection.js';
import { RequestError } from '../../../helper/src/rpc/index.js';
import type { Event, Method, ParamsOf, ResultOf, TunnelSummary } from '../../../helper/src/rpc/index.js';
import { Listeners } from '../services/listeners.js';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import type { BackoffPolicy } from './backoff.js';

export interface HelperClientOptions {
  readonly socketPath: string;
  /** Shown in the helper's log, e.g. "wirefly-app 0.1.0". */
  readonly clientName: string;
  readonly appVersion: string;
  readonly backoff?: BackoffPolicy;
}

export class HelperClient {
  private connection: HelperConnection | undefined;
  private currentState: HelperState = { status: 'not-running' };
  private tunnelsByName = new Map<string, TunnelSummary>();
  private bootNames = new Set<string>();
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly stateListeners = new Listeners<HelperState>();
  private readonly tunnelListeners = new Listeners<readonly TunnelSummary[]>();
  private readonly eventListeners = new Listeners<Event>();

  constructor(private readonly options: HelperClientOptions) {}

  get state(): HelperState {
    return this.currentState;
  }

  /** The tunnels the helper runs, as it last said; empty while it is not running. */
  get tunnels(): readonly TunnelSummary[] {
    return [...this.tunnelsByName.values()];
  }

  /** The tunnels the helper brings up at boot, as it last said; empty while it is not running. */
  get bootTunnels(): ReadonlySet<string> {
    return this.bootNames;
  }

  /** Stores or drops the helper's boot copy of a tunnel and learns the new list. */
  async setBootTunnel(
    name: string,
    copy: { readonly configText: string; readonly killSwitch: boolean } | undefined,
  ): Promise<void> {
    await (copy ? this.request('boot.set', { name, ...copy }) : this.request('boot.unset', { name }));
    this.bootNames = new Set((await this.request('boot.list', {})).tunnels);
    this.tunnelListeners.emit(this.tunnels);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.tryConnect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.connection?.close();
    this.connection = undefined;
  }

  /** Says the helper is being started (elevation may take a while), and looks for it again at once. */
  expectStart(): void {
    this.setState({ status: 'starting' });
    this.retryNow();
  }

  /** The start failed or was cancelled: back to what the socket says. */
  startFailed(): void {
    if (this.currentState.status === 'starting') this.setState({ status: 'not-running' });
  }

  retryNow(): void {
    if (this.stopped || this.connection) return;
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    void this.tryConnect();
  }

  request<M extends Method>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    if (!this.connection) return Promise.reject(new Error('the helper is not running'));
    return this.connection.request(method, params);
  }

  /** Resolves when the helper is running; rejects when it is not within `timeoutMs`. */
  waitUntilRunning(timeoutMs: number): Promise<void> {
    if (this.currentState.status === 'running') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`the helper did not start within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      const unsubscribe = this.onState((state) => {
        if (state.status !== 'running') return;
        clearTimeout(timer);
        unsubscribe();
        resolve();
      });
    });
  }

  onState(listener: (state: HelperState) => void): () => void {
    return this.stateListeners.add(listener);
  }

  onTunnels(listener: (tunnels: readonly TunnelSummary[]) => void): () => void {
    return this.tunnelListeners.add(listener);
  }

  onEvent(listener: (event: Event) => void): () => void {
    return this.eventListeners.add(listener);
  }

  private async tryConnect(): Promise<void> {
    let connection: HelperConnection;
    try {
      connection = await HelperConnection.connect(this.options.socketPath, this.options.clientName);
    } catch (error) {
      if (this.stopped) return;
      this.noteFailure(error as NodeJS.ErrnoException);
      this.scheduleRetry();
      return;
    }
    if (this.stopped) {
      connection.close();
      return;
    }
    this.adopt(connection);
  }

  private adopt(connection: HelperConnection): void {
    this.connection = connection;
    this.attempt = 0;
    connection.onEvent((event) => this.receive(event));
    connection.onClose(() => {
      this.connection = undefined;
      this.bootNames = new Set();
      this.replaceTunnels([]);
      if (this.stopped) return;
      this.setState({ status: 'not-running' });
      this.scheduleRetry();
    });
    void this.synchronise(connection);
  }

  /** Subscribes to everything and learns the running tunnels before saying the helper runs. */
  private async synchronise(connection: HelperConnection): Promise<void> {
    try {
      await connection.request('subscribe', { topics: ['state', 'stats', 'logs'] });
      this.bootNames = new Set((await connection.request('boot.list', {})).tunnels);
      // Taken as the reply is read: a state event the helper sent after it (a boot tunnel coming up) then lands on top.
      await connection.request('tunnel.list', {}, ({ tunnels }) => this.replaceTunnels(tunnels));
      this.setState({ status: 'running', version: connection.helperVersion });
    } catch {
      connection.close();
    }
  }

  private receive(event: Event): void {
    if (event.event === 'tunnel.state') {
      // A tunnel brought down is no longer one the helper runs.
      if (event.tunnel.state === 'inactive') this.tunnelsByName.delete(event.tunnel.name);
      else this.tunnelsByName.set(event.tunnel.name, event.tunnel);
      this.tunnelListeners.emit(this.tunnels);
    }
    this.eventListeners.emit(event);
  }

  private replaceTunnels(tunnels: readonly TunnelSummary[]): void {
    const changed = tunnels.length > 0 || this.tunnelsByName.size > 0;
    this.tunnelsByName = new Map(tunnels.map((tunnel) => [tunnel.name, tunnel]));
    if (changed) this.tunnelListeners.emit(this.tunnels);
  }

  private noteFailure(error: NodeJS.ErrnoException): void {
    if (error instanceof RequestError && error.code === 'incompatible-version') {
      this.setState({ status: 'incompatible', helperVersion: 'unknown', appVersion: this.options.appVersion });
    } else if (error.code === 'EACCES' || error.code === 'EPERM') {
      this.setState({
        status: 'not-permitted',
        message: `the helper's socket ${this.options.socketPath} belongs to another user`,
      });
    } else if (this.currentState.status !== 'starting') {
      this.setState({ status: 'not-running' });
    }
  }

  private scheduleRetry(): void {
    clearTimeout(this.retryTimer);
    const delay = backoffDelay(this.attempt++, this.options.backoff ?? DEFAULT_BACKOFF);
    this.retryTimer = setTimeout(() => void this.tryConnect(), delay);
    this.retryTimer.unref();
  }

  private setState(state: HelperState): void {
    if (JSON.stringify(state) === JSON.stringify(this.currentState)) return;
    this.currentState = state;
    this.stateListeners.emit(state);
  }
}
