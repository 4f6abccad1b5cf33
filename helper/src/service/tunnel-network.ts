// What the tunnel manager needs from the system networking (addresses, MTU,
// routes, policy rules, DNS, kill switch): apply it for one tunnel, and later
// undo exactly that. system-network.ts puts the platform's os/network.ts behind it.
import type { WgQuickConfig } from '../config/index.js';
import type { Endpoint, IpAddress } from '../net/ip.js';

export interface NetworkRequest {
  readonly interfaceName: string;
  readonly config: WgQuickConfig;
  readonly killSwitch: boolean;
  /** The kill switch lets the local networks through ("Allow LAN"). */
  readonly allowLan?: boolean;
  /** The endpoints' host names as resolved for the engine. */
  readonly resolvedHosts: ReadonlyMap<string, IpAddress>;
  /** Marks the engine's own packets, before any route could send them into the tunnel itself. */
  readonly setFwmark: (mark: number) => Promise<void>;
  /** The engine's UDP port, bound by now. */
  readonly engineListenPort: number;
}

export interface AppliedNetwork {
  undo(): Promise<void>;
  /** The peers' endpoints moved (a host name resolved elsewhere, a peer roamed): the host routes and kill switch that name them follow. */
  updateEndpoints?(endpoints: readonly Endpoint[]): Promise<void>;
  /** The engine's UDP moved to another port: a kill switch that names the port follows. */
  updateEngineListenPort?(port: number): Promise<void>;
}

export interface TunnelNetwork {
  apply(request: NetworkRequest): Promise<AppliedNetwork>;
}
