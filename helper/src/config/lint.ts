// Warnings about configs that parse but probably do not do what was meant. None
// of them stops a tunnel; each names the line to look at.
import { cidrContains, cidrHasHostBits, equalBytes, formatCidr, maskCidr } from '../net/ip.js';
import type { Cidr } from '../net/ip.js';
import type { ConfigWarning, ConfigWarningCode } from './diagnostics.js';
import { keyToBase64, publicKeyFromPrivate } from './keys.js';
import type { ConfigLocations, SourcePosition, WgQuickConfig } from './model.js';
import { MTU_MAX, MTU_MIN } from './values.js';

/** IPv6 needs 1280; beyond jumbo frames no path carries the packets. */
export const MTU_LINT_MIN = 1280;
export const MTU_LINT_MAX = 9000;

const NOWHERE: SourcePosition = { line: 0, column: 0 };

type Warn = (code: ConfigWarningCode, at: SourcePosition | undefined, message: string, key?: string) => void;

export function lintConfig(config: WgQuickConfig, locations: ConfigLocations): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const warn: Warn = (code, at = NOWHERE, message, key) =>
    warnings.push({
      severity: 'warning',
      code,
      line: at.line,
      column: at.column,
      message,
      ...(key === undefined ? {} : { key }),
    });
  lintInterface(config, locations, warn);
  lintPeerKeys(config, locations, warn);
  lintAllowedIps(config, locations, warn);
  lintReachability(config, locations, warn);
  return warnings.sort((a, b) => a.line - b.line || a.column - b.column);
}

const SCRIPT_KEYS = ['PreUp', 'PostUp', 'PreDown', 'PostDown'] as const;

function lintInterface({ interface: iface }: WgQuickConfig, locations: ConfigLocations, warn: Warn): void {
  const keys = locations.interface.keys;
  if (!iface.privateKey) {
    warn(
      'missing-private-key',
      locations.interface.header,
      '[Interface] has no PrivateKey: the tunnel cannot work until one is set (wg genkey makes one)',
    );
  }
  if (iface.mtu !== undefined && (iface.mtu < MTU_LINT_MIN || iface.mtu > MTU_LINT_MAX)) {
    const why =
      iface.mtu < MTU_LINT_MIN
        ? `below ${MTU_LINT_MIN}, the least IPv6 needs`
        : `above ${MTU_LINT_MAX}, more than networks carry`;
    warn(
      'mtu-out-of-range',
      keys['MTU'],
      `MTU: ${iface.mtu} is ${why} (allowed ${MTU_MIN}-${MTU_MAX}; 1420 is usual)`,
      'MTU',
    );
  }
  for (const key of SCRIPT_KEYS) {
    const at = keys[key];
    if (at) {
      warn(
        'scripts-present',
        at,
        `${key}: scripts run as root, so Wirefly refuses this tunnel unless the helper is set to allow scripts`,
        key,
      );
    }
  }
}

function lintPeerKeys(config: WgQuickConfig, locations: ConfigLocations, warn: Warn): void {
  const own = config.interface.privateKey && publicKeyFromPrivate(config.interface.privateKey);
  const firstPeerWithKey = new Map<string, number>();
  config.peers.forEach((peer, index) => {
    const at = locations.peers[index]?.keys['PublicKey'];
    if (own && equalBytes(own, peer.publicKey)) {
      warn(
        'peer-is-self',
        at,
        "PublicKey: this is the interface's own public key (from its PrivateKey); a peer must be the other side",
        'PublicKey',
      );
    }
    const text = keyToBase64(peer.publicKey);
    const first = firstPeerWithKey.get(text);
    if (first === undefined) {
      firstPeerWithKey.set(text, index);
    } else {
      const line = locations.peers[first]?.header.line;
      warn(
        'duplicate-peer',
        at,
        `PublicKey: the same peer as the one on line ${line}; wg merges them, so the later settings win`,
        'PublicKey',
      );
    }
  });
}

interface Route {
  readonly network: Cidr;
  readonly written: Cidr;
  readonly peer: number;
  readonly at: SourcePosition | undefined;
}

function compareNetworks(a: Cidr, b: Cidr): number {
  if (a.family !== b.family) return a.family - b.family;
  for (let i = 0; i < a.bytes.length; i++) {
    const d = a.bytes[i]! - b.bytes[i]!;
    if (d !== 0) return d;
  }
  return a.prefix - b.prefix;
}

function lintAllowedIps(config: WgQuickConfig, locations: ConfigLocations, warn: Warn): void {
  const routes: Route[] = [];
  config.peers.forEach((peer, index) => {
    peer.allowedIps.forEach((cidr, i) => {
      const at = locations.peers[index]?.allowedIps[i];
      const network = maskCidr(cidr);
      if (cidrHasHostBits(cidr)) {
        warn(
          'allowed-ip-host-bits',
          at,
          `AllowedIPs: ${formatCidr(cidr)} has host bits set; it will be used as ${formatCidr(network)}`,
          'AllowedIPs',
        );
      }
      routes.push({ network, written: cidr, peer: index, at });
    });
  });
  // Sorted, every network comes right after the networks that contain it, so a
  // stack of enclosing networks finds all overlaps in one pass.
  routes.sort((a, b) => compareNetworks(a.network, b.network));
  const enclosing: Route[] = [];
  for (const route of routes) {
    while (enclosing.length > 0 && !cidrContains(enclosing[enclosing.length - 1]!.network, route.network))
      enclosing.pop();
    const other = [...enclosing].reverse().find((outer) => outer.peer !== route.peer);
    if (other) reportOverlap(other, route, locations, warn);
    enclosing.push(route);
  }
}

function reportOverlap(outer: Route, inner: Route, locations: ConfigLocations, warn: Warn): void {
  const [earlier, later] = outer.peer < inner.peer ? [outer, inner] : [inner, outer];
  const line = locations.peers[earlier.peer]?.header.line;
  const same = outer.network.prefix === inner.network.prefix;
  const message = same
    ? `AllowedIPs: ${formatCidr(later.written)} is also given to the peer on line ${line}; a network belongs to one peer, so the later one takes it`
    : `AllowedIPs: ${formatCidr(later.written)} overlaps ${formatCidr(earlier.written)} of the peer on line ${line}; ` +
      `traffic to ${formatCidr(inner.network)} goes to the peer with the longer prefix`;
  warn('overlapping-allowed-ips', later.at, message, 'AllowedIPs');
}

function lintReachability(config: WgQuickConfig, locations: ConfigLocations, warn: Warn): void {
  if (config.peers.length === 0) {
    warn(
      'no-peers',
      locations.interface.header,
      '[Interface] has no [Peer] sections: the tunnel has no one to talk to',
    );
    return;
  }
  if (!config.peers.some((peer) => peer.endpoint)) {
    warn(
      'no-endpoint',
      locations.peers[0]?.header,
      'no peer has an Endpoint, so this side can never start a connection; it only answers peers that reach it (fine for a server)',
    );
  }
  if (config.interface.dns.length === 0) {
    const fullTunnel = config.peers
      .flatMap((peer, p) => peer.allowedIps.map((cidr, i) => ({ cidr, at: locations.peers[p]?.allowedIps[i] })))
      .find(({ cidr }) => cidr.prefix === 0);
    if (fullTunnel) {
      warn(
        'dns-leak',
        fullTunnel.at,
        `AllowedIPs: ${formatCidr(fullTunnel.cidr)} sends all traffic through the tunnel, but [Interface] has no DNS: ` +
          'name lookups would leave outside it; add DNS = <resolver inside the tunnel>',
        'AllowedIPs',
      );
    }
  }
}
