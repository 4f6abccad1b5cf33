// The engine's device state as the protocol's per-peer statistics.
import { keyToBase64 } from '../config/index.js';
import { formatCidr, formatEndpoint } from '../net/ip.js';
import type { PeerStats, TunnelStats } from '../rpc/index.js';
import type { UapiDeviceState, UapiPeerState } from '../uapi/model.js';

function peerStats(peer: UapiPeerState): PeerStats {
  const handshake = peer.lastHandshake;
  return {
    publicKey: keyToBase64(peer.publicKey),
    ...(peer.endpoint ? { endpoint: formatEndpoint(peer.endpoint) } : {}),
    ...(handshake ? { latestHandshake: handshake.sec * 1000 + Math.floor(handshake.nsec / 1_000_000) } : {}),
    // Byte counters stay exact as numbers up to 8 PiB.
    rxBytes: Number(peer.rxBytes),
    txBytes: Number(peer.txBytes),
    allowedIps: peer.allowedIps.map(formatCidr),
  };
}

export function tunnelStats(tunnel: string, state: UapiDeviceState, at: number): TunnelStats {
  return { tunnel, at, listenPort: state.listenPort, peers: Array.from(state.peers, peerStats) };
}
