// Endpoints written as host names are resolved when the tunnel comes up, and
// again when the network changes or when a peer's handshakes have failed for a
// while, as wireguard-tools' reresolve-dns does: a server that moved to
// another address is found again without bringing the tunnel down.
import type { PeerConfig, WgQuickConfig } from '../config/index.js';
import { equalBytes, formatIpAddress, type IpAddress } from '../net/ip.js';
import type { UapiDeviceState } from '../uapi/model.js';
import type { HostResolver } from './resolve-hosts.js';
import type { TunnelEngine } from './tunnel-engine.js';

/**
 * A peer without a handshake for this long is re-resolved: reresolve-dns's
 * 135 s, past the 120 s after which a working session always rekeys.
 */
export const STALE_HANDSHAKE_MS = 135_000;
/** A tunnel that has had no handshake at all since it came up is re-resolved sooner. */
export const FIRST_HANDSHAKE_MS = 15_000;

export interface ResolvedTunnel {
  readonly name: string;
  readonly config: WgQuickConfig;
  readonly engine: TunnelEngine;
  /** Host name to the address the engine uses now; updated here. */
  readonly resolvedHosts: Map<string, IpAddress>;
  /** Wall-clock ms at which the tunnel came up. */
  readonly upSince: number;
}

function hostOf(peer: PeerConfig): string | undefined {
  return peer.endpoint?.kind === 'hostname' ? peer.endpoint.host : undefined;
}

function portOf(peer: PeerConfig): number {
  return peer.endpoint?.kind === 'hostname' ? peer.endpoint.port : 0;
}

function lastHandshakeMs(state: UapiDeviceState, peer: PeerConfig): number | undefined {
  for (const each of state.peers) {
    if (!equalBytes(each.publicKey, peer.publicKey)) continue;
    const at = each.lastHandshake;
    return at && at.sec > 0 ? at.sec * 1000 + at.nsec / 1e6 : undefined;
  }
  return undefined;
}

/** The host names whose peers' handshakes have failed for a while, at wall-clock `now`. */
export function staleHosts(tunnel: ResolvedTunnel, now: number): Set<string> {
  const state = tunnel.engine.state();
  const stale = new Set<string>();
  for (const peer of tunnel.config.peers) {
    const host = hostOf(peer);
    if (host === undefined) continue;
    const last = lastHandshakeMs(state, peer);
    const overdue = last === undefined ? now - tunnel.upSince >= FIRST_HANDSHAKE_MS : now - last >= STALE_HANDSHAKE_MS;
    if (overdue) stale.add(host);
  }
  return stale;
}

export function hostNames(config: WgQuickConfig): Set<string> {
  return new Set(config.peers.flatMap((peer) => hostOf(peer) ?? []));
}

/**
 * Resolves `hosts` again and points every peer of a host whose address changed
 * at the new one. Returns what changed, as "host: old -> new"; a host that does
 * not resolve now keeps its address and is reported in `failed`.
 */
export async function refreshEndpoints(
  tunnel: ResolvedTunnel,
  hosts: ReadonlySet<string>,
  resolve: HostResolver,
): Promise<{ changed: string[]; failed: string[] }> {
  const changed: string[] = [];
  const failed: string[] = [];
  for (const host of hosts) {
    let address: IpAddress;
    try {
      address = await resolve(host);
    } catch (error) {
      failed.push(`${host}: ${(error as Error).message}`);
      continue;
    }
    const before = tunnel.resolvedHosts.get(host);
    if (before && before.family === address.family && equalBytes(before.bytes, address.bytes)) continue;
    tunnel.resolvedHosts.set(host, address);
    const peers = tunnel.config.peers.filter((peer) => hostOf(peer) === host);
    await tunnel.engine.configure({
      replacePeers: false,
      peers: peers.map((peer) => ({
        publicKey: peer.publicKey,
        remove: false,
        updateOnly: true,
        endpoint: { ...address, port: portOf(peer) },
        replaceAllowedIps: false,
        allowedIps: [],
      })),
    });
    changed.push(`${host}: ${before ? formatIpAddress(before) : 'none'} -> ${formatIpAddress(address)}`);
  }
  return { changed, failed };
}
