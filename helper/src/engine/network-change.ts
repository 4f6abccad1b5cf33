// What the engine does when the way to its peers may have changed: another
// network, another address or interface, or a resume from sleep. Waiting for
// the timers (up to KEEPALIVE_TIMEOUT + REKEY_TIMEOUT of silence before a new
// handshake) is what makes a tunnel stall after a Wi-Fi change; instead every
// peer that was in use handshakes again at once, from whatever source address
// routing now picks.
import { sameEndpoint, type Endpoint } from '../net/ip.js';
import { HANDSHAKE_INITIATION_RATE } from './constants.js';
import type { Device } from './device.js';
import type { Peer } from './peer.js';
import { sendInitiation } from './send.js';

/** The endpoint without its sticky source: the kernel chooses the source again, as for a new peer. */
function routedEndpoint(endpoint: Endpoint): Endpoint {
  if (endpoint.localAddress === undefined && endpoint.localInterface === undefined) return endpoint;
  return { family: endpoint.family, bytes: endpoint.bytes, port: endpoint.port };
}

/** A peer that talks or wants to: one that never did stays quiet, as it would have. */
function inUse(peer: Peer): boolean {
  const { keypairs } = peer;
  return (
    keypairs.current !== undefined ||
    keypairs.previous !== undefined ||
    keypairs.next !== undefined ||
    peer.handshakeIndex !== undefined ||
    peer.staged.length > 0 ||
    peer.timers.persistentKeepaliveInterval > 0
  );
}

/**
 * An initiation sent to this address moments ago (a timer's, or an earlier
 * change's) is still unanswered and on its way, and a second would arrive within the
 * responder's flood window (HANDSHAKE_INITIATION_RATE) and be refused, while
 * replacing the first would drop the answer to it.
 */
function initiationInFlight(device: Device, peer: Peer): boolean {
  const to = peer.lastInitiationTo;
  return (
    peer.handshakeIndex !== undefined &&
    to !== undefined &&
    peer.endpoint !== undefined &&
    sameEndpoint(to, peer.endpoint) &&
    device.clock.now() - peer.lastSentHandshake < HANDSHAKE_INITIATION_RATE
  );
}

/**
 * Forgets every sticky source and starts a handshake with every peer in use
 * (with `everyPeer`, with every peer that has an endpoint: the doctor asks so),
 * without waiting out the REKEY_TIMEOUT of the last initiation. Returns how
 * many handshakes were started. The sessions stay until the new ones replace
 * them: where the old path still works, nothing is lost meanwhile.
 */
export function handleNetworkChange(device: Device, everyPeer = false): number {
  let started = 0;
  for (const peer of device.peers) {
    if (!peer.endpoint) continue;
    peer.endpoint = routedEndpoint(peer.endpoint);
    if ((!everyPeer && !inUse(peer)) || initiationInFlight(device, peer)) continue;
    peer.lastSentHandshake = -Infinity;
    sendInitiation(device, peer, false);
    started++;
  }
  return started;
}
