// Two WireGuard peers in two namespaces joined by a veth link, each configured
// with the other as its only peer: the topology that interop tests, benchmarks
// and helper tests start from.
import { formatEndpoint, parseIpAddress } from '../../../helper/src/net/ip.js';
import type { Lab } from './lab.js';
import type { Namespace } from './namespace.js';
import type { VethEnd, VethLink } from './veth.js';
import { generateKeyPair, generatePresharedKey, upTunnelInterface, wgSet, type KeyPair } from './wg.js';
import type { ImplementationName, WireGuardDaemon, WireGuardImplementation } from './wireguard.js';

/** One end of a tunnel: where its interface is, the daemon behind it, its keys and addresses. */
export interface TunnelSide {
  readonly implementation: ImplementationName;
  /** The namespace that holds the tunnel interface, where traffic enters the tunnel. */
  readonly ns: Namespace;
  readonly ifname: string;
  readonly daemon: WireGuardDaemon;
  readonly keys: KeyPair;
  listenPort: number;
  readonly tunnelV4: string;
  readonly tunnelV6: string;
}

/** Two ends, each with the other as its only peer. */
export interface Tunnels {
  readonly a: TunnelSide;
  readonly b: TunnelSide;
}

export interface TunnelPeer extends TunnelSide {
  /** This peer's end of the veth link that carries the UDP. */
  readonly outer: VethEnd;
}

export interface TunnelPair extends Tunnels {
  readonly a: TunnelPeer;
  readonly b: TunnelPeer;
  readonly link: VethLink;
}

export interface TunnelPairOptions {
  /** The family of the outer (UDP) addresses each side's endpoint is set to. Default 4. */
  readonly outerFamily?: 4 | 6;
  /** A preshared key, the same on both sides or a different one on each. Default none. */
  readonly presharedKey?: 'same' | 'different';
  /** This side's peer entry gets an unrelated public key instead of the other side's. */
  readonly wrongPeerKeyOn?: 'a' | 'b';
}

export const TUNNEL_MTU = 1420;
export const TUNNEL_V4 = { a: '10.77.0.1', b: '10.77.0.2', prefix: 24 };
export const TUNNEL_V6 = { a: 'fd77::1', b: 'fd77::2', prefix: 64 };
export const LISTEN_PORT = { a: 51001, b: 51002 };

/** The side's address inside the tunnel. */
export function tunnelAddress(side: TunnelSide, family: 4 | 6): string {
  return family === 4 ? side.tunnelV4 : side.tunnelV6;
}

/** The endpoint other peers reach `peer` at, in the canonical form `wg show` is parsed into. */
export function endpointOf(peer: TunnelPeer, family: 4 | 6): string {
  const address = parseIpAddress(family === 4 ? peer.outer.v4 : peer.outer.v6);
  if (!address) throw new Error(`bad outer address on ${peer.ifname}`);
  return formatEndpoint({ ...address, port: peer.listenPort });
}

/** `wg set IFNAME listen-port N`: the daemon rebinds its UDP sockets. */
export async function changeListenPort(peer: TunnelPeer, port: number): Promise<void> {
  await wgSet(peer.ns, peer.ifname, { listenPort: port });
  peer.listenPort = port;
}

/** A daemon and its interface in `ns`, with keys and the side's addresses; not configured yet. */
export async function startTunnelSide(
  lab: Lab,
  implementation: WireGuardImplementation,
  ns: Namespace,
  side: 'a' | 'b',
): Promise<TunnelSide> {
  const ifname = lab.tunnelInterfaceName();
  const daemon = await implementation.start(ns, ifname);
  return {
    implementation: implementation.name,
    ns,
    ifname,
    daemon,
    keys: await generateKeyPair(lab.dir),
    listenPort: LISTEN_PORT[side],
    tunnelV4: TUNNEL_V4[side],
    tunnelV6: TUNNEL_V6[side],
  };
}

/** Gives `self` the other side as its only peer, at `endpoint` if known, and brings its interface up. */
export async function connectTunnelSide(
  self: TunnelSide,
  other: TunnelSide,
  endpoint: string | undefined,
): Promise<void> {
  await wgSet(self.ns, self.ifname, {
    privateKeyFile: self.keys.privateKeyFile,
    listenPort: self.listenPort,
    peers: [
      {
        publicKey: other.keys.publicKey,
        allowedIps: [`${other.tunnelV4}/32`, `${other.tunnelV6}/128`],
        ...(endpoint ? { endpoint } : {}),
      },
    ],
  });
  await upTunnelInterface(
    self.ns,
    self.ifname,
    [`${self.tunnelV4}/${TUNNEL_V4.prefix}`, `${self.tunnelV6}/${TUNNEL_V6.prefix}`],
    TUNNEL_MTU,
  );
}

async function startPeer(
  lab: Lab,
  implementation: WireGuardImplementation,
  outer: VethEnd,
  side: 'a' | 'b',
): Promise<TunnelPeer> {
  return { ...(await startTunnelSide(lab, implementation, outer.ns, side)), outer };
}

export async function createTunnelPair(
  lab: Lab,
  implementationA: WireGuardImplementation,
  implementationB: WireGuardImplementation,
  options: TunnelPairOptions = {},
): Promise<TunnelPair> {
  const link = await lab.link(await lab.namespace(), await lab.namespace());
  const a = await startPeer(lab, implementationA, link.a, 'a');
  const b = await startPeer(lab, implementationB, link.b, 'b');
  const sharedPsk = options.presharedKey === 'same' ? await generatePresharedKey(lab.dir) : undefined;
  const configure = async (self: TunnelPeer, other: TunnelPeer, side: 'a' | 'b'): Promise<void> => {
    const psk = options.presharedKey === 'different' ? await generatePresharedKey(lab.dir) : sharedPsk;
    const publicKey =
      options.wrongPeerKeyOn === side ? (await generateKeyPair(lab.dir)).publicKey : other.keys.publicKey;
    await wgSet(self.ns, self.ifname, {
      privateKeyFile: self.keys.privateKeyFile,
      listenPort: self.listenPort,
      peers: [
        {
          publicKey,
          ...(psk ? { presharedKeyFile: psk.file } : {}),
          allowedIps: [`${other.tunnelV4}/32`, `${other.tunnelV6}/128`],
          endpoint: endpointOf(other, options.outerFamily ?? 4),
        },
      ],
    });
    await upTunnelInterface(
      self.ns,
      self.ifname,
      [`${self.tunnelV4}/${TUNNEL_V4.prefix}`, `${self.tunnelV6}/${TUNNEL_V6.prefix}`],
      TUNNEL_MTU,
    );
  };
  await configure(a, b, 'a');
  await configure(b, a, 'b');
  return { a, b, link };
}
