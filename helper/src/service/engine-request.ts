// A parsed wg-quick config as one wg(8) `set` request: what `wg setconf` would
// apply, so the engine ends up with exactly the config's peers and nothing else.
import type { PeerConfig, PeerEndpoint, WgQuickConfig } from '../config/index.js';
import type { Endpoint, IpAddress } from '../net/ip.js';
import type { UapiPeerChange, UapiSetRequest } from '../uapi/model.js';

function endpointAddress(endpoint: PeerEndpoint, resolvedHosts: ReadonlyMap<string, IpAddress>): Endpoint {
  if (endpoint.kind === 'address') return endpoint.address;
  const address = resolvedHosts.get(endpoint.host);
  if (!address) throw new Error(`endpoint host ${endpoint.host} has not been resolved`);
  return { ...address, port: endpoint.port };
}

function peerChange(peer: PeerConfig, resolvedHosts: ReadonlyMap<string, IpAddress>): UapiPeerChange {
  return {
    publicKey: peer.publicKey,
    remove: false,
    updateOnly: false,
    ...(peer.presharedKey ? { presharedKey: peer.presharedKey } : {}),
    ...(peer.endpoint ? { endpoint: endpointAddress(peer.endpoint, resolvedHosts) } : {}),
    ...(peer.persistentKeepalive !== undefined ? { persistentKeepaliveInterval: peer.persistentKeepalive } : {}),
    replaceAllowedIps: true,
    allowedIps: peer.allowedIps.map((cidr) => ({ cidr, remove: false })),
  };
}

/** Every peer's endpoint as an address, host names as resolved. */
export function numericEndpoints(config: WgQuickConfig, resolvedHosts: ReadonlyMap<string, IpAddress>): Endpoint[] {
  return config.peers.flatMap((peer) => (peer.endpoint ? [endpointAddress(peer.endpoint, resolvedHosts)] : []));
}

export function engineSetRequest(config: WgQuickConfig, resolvedHosts: ReadonlyMap<string, IpAddress>): UapiSetRequest {
  const { privateKey, listenPort, fwMark } = config.interface;
  return {
    ...(privateKey ? { privateKey } : {}),
    ...(listenPort !== undefined ? { listenPort } : {}),
    ...(fwMark !== undefined ? { fwmark: fwMark } : {}),
    replacePeers: true,
    peers: config.peers.map((peer) => peerChange(peer, resolvedHosts)),
  };
}
