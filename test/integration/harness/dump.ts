// `wg show IFNAME dump`: the machine-readable status, one tab-separated line
// for the interface and one per peer.
import { formatEndpoint, parseEndpoint } from '../../../helper/src/net/ip.js';
import type { Namespace } from './namespace.js';

export interface InterfaceStatus {
  readonly publicKey: string;
  readonly listenPort: number;
  readonly peers: readonly PeerStatus[];
}

export interface PeerStatus {
  readonly publicKey: string;
  readonly presharedKey: string | undefined;
  /** In the shared module's canonical form (`10.0.0.1:51820`, `[fd00::1]:51820`); undefined before one is known. */
  readonly endpoint: string | undefined;
  readonly allowedIps: readonly string[];
  /** Seconds since the epoch; 0 when there has been no handshake. */
  readonly latestHandshake: number;
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly persistentKeepalive: number | undefined;
}

const NONE = '(none)';

function canonicalEndpoint(text: string): string {
  const endpoint = parseEndpoint(text);
  if (!endpoint) throw new Error(`wg dump has an unparseable endpoint: ${text}`);
  return formatEndpoint(endpoint);
}

function optional(field: string): string | undefined {
  return field === NONE || field === 'off' ? undefined : field;
}

function fields(line: string, count: number): string[] {
  const parts = line.split('\t');
  if (parts.length !== count) throw new Error(`wg dump line has ${parts.length} fields, expected ${count}: ${line}`);
  return parts;
}

function parsePeer(line: string): PeerStatus {
  const [publicKey, psk, endpoint, allowedIps, handshake, rx, tx, keepalive] = fields(line, 8);
  const keepaliveSeconds = optional(keepalive!);
  const endpointText = optional(endpoint!);
  return {
    publicKey: publicKey!,
    presharedKey: optional(psk!),
    endpoint: endpointText === undefined ? undefined : canonicalEndpoint(endpointText),
    allowedIps: optional(allowedIps!)?.split(',') ?? [],
    latestHandshake: Number(handshake),
    rxBytes: Number(rx),
    txBytes: Number(tx),
    persistentKeepalive: keepaliveSeconds === undefined ? undefined : Number(keepaliveSeconds),
  };
}

export function parseDump(text: string): InterfaceStatus {
  const [head, ...peerLines] = text.trimEnd().split('\n');
  if (head === undefined || head === '') throw new Error('empty wg dump');
  const [, publicKey, listenPort] = fields(head, 4);
  return {
    publicKey: publicKey!,
    listenPort: Number(listenPort),
    peers: peerLines.map(parsePeer),
  };
}

export async function showDump(ns: Namespace, ifname: string): Promise<InterfaceStatus> {
  return parseDump(await ns.exec('wg', ['show', ifname, 'dump']));
}

/** The status of the interface's only peer, the usual shape of a two-party test. */
export async function showOnlyPeer(ns: Namespace, ifname: string): Promise<PeerStatus> {
  const { peers } = await showDump(ns, ifname);
  if (peers.length !== 1) throw new Error(`${ifname} has ${peers.length} peers, expected 1`);
  return peers[0]!;
}
