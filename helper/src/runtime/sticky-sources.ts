// Keeps the engine's sticky source addresses as honest as the kernel's: a
// source is kept only while routing from it to the peer still leaves by the
// interface it was learned on. The kernel checks at every send; here routes,
// addresses and links changing is the cue to check, so a preferred route by
// another interface, or an address that moved, takes the source with it
// before a datagram is lost to it.
import type { Device } from '../engine/device.js';
import type { Endpoint } from '../net/ip.js';
import type { RouteAnswer } from '../os/network-changes.js';

/**
 * Beyond this many sticky endpoints (a server with many clients), every
 * source is forgotten rather than each checked: each is learned again from
 * the peer's next datagram.
 */
export const MAX_CHECKED_SOURCES = 256;

export type RouteLookup = (destination: Endpoint, source: Uint8Array, mark: number) => RouteAnswer;

function stillRouted(endpoint: Endpoint, lookup: RouteLookup, mark: number): boolean {
  try {
    return lookup(endpoint, endpoint.localAddress!, mark).interfaceIndex === endpoint.localInterface;
  } catch {
    // No route from that source any more (its address went away, the network is unreachable).
    return false;
  }
}

/** Forgets every sticky source that routing no longer backs; returns how many. */
export function recheckStickySources(device: Device, lookup: RouteLookup, mark: number): number {
  let sticky = 0;
  for (const peer of device.peers) if (peer.endpoint?.localAddress !== undefined) sticky++;
  if (sticky > MAX_CHECKED_SOURCES) return device.forgetStickySources(() => true);
  return device.forgetStickySources((endpoint) => !stillRouted(endpoint, lookup, mark));
}
