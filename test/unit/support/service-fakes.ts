// Stand-ins for the engine and the system networking, so that the tunnel
// manager and the control server run without root, TUN devices or `ip`.
import { generatePrivateKey, keyToBase64, publicKeyFromPrivate } from '../../../helper/src/config/index.js';
import type { TunnelEngine, EngineStarter } from '../../../helper/src/service/tunnel-engine.js';
import type { NetworkRequest, TunnelNetwork } from '../../../helper/src/service/tunnel-network.js';
import type { ConnectionDoctor } from '../../../helper/src/service/doctor/doctor.js';
import type { HostResolver } from '../../../helper/src/service/resolve-hosts.js';
import { TunnelManager } from '../../../helper/src/service/tunnel-manager.js';
import { formatEndpoint, type Endpoint } from '../../../helper/src/net/ip.js';
import type { UapiSetRequest } from '../../../helper/src/uapi/model.js';

/** Everything the fakes were asked to do, in order, as short strings. */
export class FakeSystem {
  readonly actions: string[] = [];
  readonly engines = new Map<string, FakeEngine>();
  readonly networkRequests: NetworkRequest[] = [];
  failNetwork: Error | undefined;
  failEndpointUpdate: Error | undefined;
  failEngineStart: Error | undefined;

  readonly startEngine: EngineStarter = async (name) => {
    if (this.failEngineStart) throw this.failEngineStart;
    const engine = new FakeEngine(name, this.actions);
    this.engines.set(name, engine);
    this.actions.push(`engine start ${name}`);
    return engine;
  };

  readonly network: TunnelNetwork = {
    apply: async (request) => {
      this.networkRequests.push(request);
      this.actions.push(`network apply ${request.interfaceName}${request.killSwitch ? ' kill-switch' : ''}`);
      if (this.failNetwork) throw this.failNetwork;
      return {
        undo: async () => void this.actions.push(`network undo ${request.interfaceName}`),
        updateEndpoints: async (endpoints) => {
          this.actions.push(`network endpoints ${request.interfaceName} ${endpoints.map(formatEndpoint).join(' ')}`);
          if (this.failEndpointUpdate) throw this.failEndpointUpdate;
        },
        updateEngineListenPort: async (port) => {
          this.actions.push(`network engine-port ${request.interfaceName} ${port}`);
          if (this.failEndpointUpdate) throw this.failEndpointUpdate;
        },
      };
    },
  };

  /** `answer` says what host names resolve to (192.0.2.9 by default); `now` is the manager's clock. */
  manager(allowScripts = false, answer?: HostResolver, now?: () => number, doctor?: ConnectionDoctor): TunnelManager {
    return new TunnelManager({
      startEngine: this.startEngine,
      network: this.network,
      settings: () => ({ allowScripts }),
      resolveHost: async (host) => {
        this.actions.push(`resolve ${host}`);
        return answer ? answer(host) : { family: 4, bytes: new Uint8Array([192, 0, 2, 9]) };
      },
      ...(now ? { now } : {}),
      ...(doctor ? { doctor } : {}),
      runScripts: async (commands, name) => {
        for (const command of commands) this.actions.push(`script ${command.replaceAll('%i', name)}`);
      },
    });
  }
}

export class FakeEngine implements TunnelEngine {
  readonly requests: UapiSetRequest[] = [];
  private readonly closedHandlers: ((error?: Error) => void)[] = [];
  private readonly roamedListeners = new Set<(publicKey: Uint8Array) => void>();
  private readonly reboundListeners = new Set<(port: number) => void>();
  /** Where each peer is now, by base64 key: as configured, moved by later requests, or roamed. */
  private readonly endpoints = new Map<string, Endpoint | undefined>();
  rxBytes = 0n;
  /** Seconds since the epoch of every peer's latest handshake; undefined for none yet. */
  lastHandshakeSec: number | undefined = 1_700_000_000;

  constructor(
    readonly name: string,
    private readonly actions: string[],
  ) {}

  handshakeNow(): number {
    this.actions.push(`engine handshake-now ${this.name}`);
    return this.requests[0]?.peers.length ?? 0;
  }

  networkChanged(): number {
    this.actions.push(`engine network-changed ${this.name}`);
    return this.requests[0]?.peers.length ?? 0;
  }

  get interfaceName(): string {
    return this.name;
  }

  async configure(request: UapiSetRequest): Promise<void> {
    this.requests.push(request);
    for (const peer of request.peers) {
      if (peer.endpoint || !this.endpoints.has(keyToBase64(peer.publicKey)))
        this.endpoints.set(keyToBase64(peer.publicKey), peer.endpoint);
    }
    this.actions.push(
      `engine configure ${this.name}${request.fwmark !== undefined ? ` fwmark=${request.fwmark}` : ''}`,
    );
  }

  state() {
    const configured = this.requests[0];
    return {
      privateKey: configured?.privateKey,
      listenPort: configured?.listenPort ?? 51820,
      fwmark: 0,
      peers: (configured?.peers ?? []).map((peer) => ({
        publicKey: peer.publicKey,
        presharedKey: undefined,
        endpoint: this.endpoints.get(keyToBase64(peer.publicKey)),
        persistentKeepaliveInterval: 0,
        lastHandshake:
          this.lastHandshakeSec === undefined ? undefined : { sec: this.lastHandshakeSec, nsec: 500_000_000 },
        rxBytes: this.rxBytes,
        txBytes: 42n,
        allowedIps: peer.allowedIps.map((change) => change.cidr),
      })),
    };
  }

  async close(): Promise<void> {
    this.actions.push(`engine close ${this.name}`);
    for (const handler of this.closedHandlers) handler();
  }

  onClosed(handler: (error?: Error) => void): void {
    this.closedHandlers.push(handler);
  }

  onPeerRoamed(listener: (publicKey: Uint8Array) => void): () => void {
    this.roamedListeners.add(listener);
    return () => this.roamedListeners.delete(listener);
  }

  onListenPortChanged(listener: (port: number) => void): () => void {
    this.reboundListeners.add(listener);
    return () => this.reboundListeners.delete(listener);
  }

  /** As if `wg set IF listen-port` had moved the engine's UDP to `port`. */
  rebind(port: number): void {
    for (const listener of this.reboundListeners) listener(port);
  }

  /** As if an authenticated message of the peer's had come from `endpoint`. */
  roam(publicKey: Uint8Array, endpoint: Endpoint): void {
    this.endpoints.set(keyToBase64(publicKey), endpoint);
    for (const listener of this.roamedListeners) listener(publicKey);
  }

  /** As if the interface were deleted from outside. */
  die(error: Error): void {
    for (const handler of this.closedHandlers) handler(error);
  }
}

export const PEER_KEY = keyToBase64(publicKeyFromPrivate(generatePrivateKey()));

/** A client config; `extra` lines go at the end of [Interface]. */
/** A client config; `net` moves its address and routes to 10.NET.0.0/24, and `dns: false` leaves DNS out, so that two can run side by side. */
export function clientConfig(
  options: { allowedIps?: string; extra?: string; endpoint?: string; net?: number; dns?: boolean } = {},
): string {
  const net = options.net ?? 200;
  return [
    '[Interface]',
    `PrivateKey = ${keyToBase64(generatePrivateKey())}`,
    `Address = 10.${net}.0.2/32`,
    ...(options.dns === false ? [] : [`DNS = 10.${net}.0.1`]),
    ...(options.extra ? [options.extra] : []),
    '',
    '[Peer]',
    `PublicKey = ${PEER_KEY}`,
    `AllowedIPs = ${options.allowedIps ?? `10.${net}.0.0/24`}`,
    `Endpoint = ${options.endpoint ?? '198.51.100.1:51820'}`,
    '',
  ].join('\n');
}
