// The text of the wg(8) cross-platform configuration protocol: the lines of a
// `set=1` request into a UapiSetRequest, a UapiDeviceState into the answer to
// `get=1`. Keys, values and errnos as wireguard-go reads and writes them.
import {
  formatCidr,
  formatEndpoint,
  maskCidr,
  parseCidr,
  parseEndpoint,
  type Endpoint,
} from '../net/ip.js';
import { EINVAL, EPROTO } from './errno.js';
import {
  UapiError,
  type UapiAllowedIpChange,
  type UapiDeviceState,
  type UapiPeerChange,
  type UapiPeerState,
  type UapiSetRequest,
} from './model.js';

export const KEY_LENGTH = 32;

const KEY_HEX = /^[0-9a-fA-F]{64}$/;

export function parseKeyHex(text: string): Uint8Array | undefined {
  if (!KEY_HEX.test(text)) return undefined;
  const key = new Uint8Array(KEY_LENGTH);
  for (let i = 0; i < KEY_LENGTH; i++) key[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return key;
}

export function formatKeyHex(key: Uint8Array): string {
  let text = '';
  for (const byte of key) text += byte.toString(16).padStart(2, '0');
  return text;
}

export function isZeroKey(key: Uint8Array): boolean {
  return key.every((byte) => byte === 0);
}

/** The status line pair that ends every answer; errno is positive, the wire carries it negated. */
export function formatErrno(errno: number): string {
  return `errno=${errno === 0 ? 0 : -errno}\n\n`;
}

function invalid(message: string): UapiError {
  return new UapiError(EINVAL, message);
}

/** Error messages quote client text, so they quote only its start. */
function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}

function parseKey(key: string, value: string): Uint8Array {
  const parsed = parseKeyHex(value);
  if (!parsed) throw invalid(`${key}: not a 64-digit hex key`);
  return parsed;
}

/** Unsigned decimal up to max; leading zeros allowed, as Go's ParseUint allows them. */
function parseUnsigned(key: string, value: string, max: number): number {
  if (!/^[0-9]+$/.test(value)) throw invalid(`${key}: not an unsigned number: ${quote(value)}`);
  const parsed = Number(value);
  if (parsed > max) throw invalid(`${key}: ${quote(value)} is above ${max}`);
  return parsed;
}

function parseTrue(key: string, value: string): true {
  if (value !== 'true') throw invalid(`${key}: the only value is "true", not ${quote(value)}`);
  return true;
}

function parseEndpointValue(value: string): Endpoint {
  const endpoint = parseEndpoint(value);
  if (!endpoint) throw invalid(`endpoint: not ADDRESS:PORT or [ADDRESS]:PORT: ${quote(value)}`);
  return endpoint;
}

/** "CIDR" adds, "-CIDR" removes; the prefix length is required and host bits are cleared. */
function parseAllowedIp(value: string): UapiAllowedIpChange {
  const remove = value.startsWith('-');
  const text = remove ? value.slice(1) : value;
  const cidr = text.includes('/') ? parseCidr(text) : undefined;
  if (!cidr) throw invalid(`allowed_ip: not ADDRESS/PREFIX: ${quote(value)}`);
  return { cidr: maskCidr(cidr), remove };
}

interface DeviceDraft {
  privateKey?: Uint8Array;
  listenPort?: number;
  fwmark?: number;
  replacePeers: boolean;
}

type PeerDraft = { -readonly [K in keyof UapiPeerChange]: UapiPeerChange[K] } & {
  allowedIps: UapiAllowedIpChange[];
};

function applyDeviceLine(device: DeviceDraft, key: string, value: string): void {
  switch (key) {
    case 'private_key':
      device.privateKey = parseKey(key, value);
      return;
    case 'listen_port':
      device.listenPort = parseUnsigned(key, value, 0xffff);
      return;
    case 'fwmark':
      device.fwmark = parseUnsigned(key, value, 0xffffffff);
      return;
    case 'replace_peers':
      device.replacePeers = parseTrue(key, value);
      return;
    default:
      throw invalid(`not a device key: ${quote(key)}`);
  }
}

function applyPeerLine(peer: PeerDraft, key: string, value: string): void {
  switch (key) {
    case 'remove':
      peer.remove = parseTrue(key, value);
      return;
    case 'update_only':
      peer.updateOnly = parseTrue(key, value);
      return;
    case 'preshared_key':
      peer.presharedKey = parseKey(key, value);
      return;
    case 'endpoint':
      peer.endpoint = parseEndpointValue(value);
      return;
    case 'persistent_keepalive_interval':
      peer.persistentKeepaliveInterval = parseUnsigned(key, value, 0xffff);
      return;
    case 'replace_allowed_ips':
      // Lines apply in order: a replacement wipes what this block added before it.
      peer.replaceAllowedIps = parseTrue(key, value);
      peer.allowedIps = [];
      return;
    case 'allowed_ip':
      peer.allowedIps.push(parseAllowedIp(value));
      return;
    case 'protocol_version':
      if (value !== '1') throw invalid(`protocol_version: only 1 is known, not ${quote(value)}`);
      return;
    default:
      throw invalid(`not a peer key: ${quote(key)}`);
  }
}

/**
 * Parses the lines of one `set=1` request (without the operation line and the
 * blank line that ends it). Device keys come first; each public_key line starts
 * a peer block that the following peer keys belong to. Throws UapiError: EPROTO
 * for a line that is not KEY=VALUE, EINVAL for anything else wireguard-go refuses.
 */
export function parseSetRequest(lines: Iterable<string>): UapiSetRequest {
  const device: DeviceDraft = { replacePeers: false };
  const peers: PeerDraft[] = [];
  let peer: PeerDraft | undefined;
  for (const line of lines) {
    const equals = line.indexOf('=');
    if (equals < 0) throw new UapiError(EPROTO, `not KEY=VALUE: ${quote(line)}`);
    const key = line.slice(0, equals);
    const value = line.slice(equals + 1);
    if (key === 'public_key') {
      peer = {
        publicKey: parseKey(key, value),
        remove: false,
        updateOnly: false,
        replaceAllowedIps: false,
        allowedIps: [],
      };
      peers.push(peer);
    } else if (peer) {
      applyPeerLine(peer, key, value);
    } else {
      applyDeviceLine(device, key, value);
    }
  }
  return { ...device, peers };
}

function formatPeer(peer: UapiPeerState): string[] {
  const lines = [
    `public_key=${formatKeyHex(peer.publicKey)}`,
    `preshared_key=${formatKeyHex(peer.presharedKey ?? new Uint8Array(KEY_LENGTH))}`,
    'protocol_version=1',
  ];
  if (peer.endpoint) lines.push(`endpoint=${formatEndpoint(peer.endpoint)}`);
  lines.push(
    `last_handshake_time_sec=${peer.lastHandshake?.sec ?? 0}`,
    `last_handshake_time_nsec=${peer.lastHandshake?.nsec ?? 0}`,
    `tx_bytes=${peer.txBytes}`,
    `rx_bytes=${peer.rxBytes}`,
    `persistent_keepalive_interval=${peer.persistentKeepaliveInterval}`,
  );
  for (const cidr of peer.allowedIps) lines.push(`allowed_ip=${formatCidr(cidr)}`);
  return lines;
}

/**
 * The whole answer to `get=1`, status included. As wireguard-go: private_key,
 * listen_port and fwmark only when set; every peer with its preshared key (zeros
 * when none), handshake time (zeros when never), counters and keepalive; its
 * endpoint only when known.
 */
export function formatGetResponse(state: UapiDeviceState): string {
  const lines: string[] = [];
  if (state.privateKey && !isZeroKey(state.privateKey)) {
    lines.push(`private_key=${formatKeyHex(state.privateKey)}`);
  }
  if (state.listenPort !== 0) lines.push(`listen_port=${state.listenPort}`);
  if (state.fwmark !== 0) lines.push(`fwmark=${state.fwmark}`);
  // Line by line: spreading a peer's lines into push() passes each as an
  // argument, and the stack overflows for a peer with some 100,000 allowed IPs.
  for (const peer of state.peers) {
    for (const line of formatPeer(peer)) lines.push(line);
  }
  return lines.map((line) => `${line}\n`).join('') + formatErrno(0);
}
