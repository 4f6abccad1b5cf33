// The text of the wg(8) cross-platform configuration protocol: the lines of a
// `set=1` request into a UapiSetRequest, a UapiDeviceState into the answer to
// `get=1`. Keys, values and errnos as wireguard-go reads and writes them.
import { formatCidr, formatEndpoint, maskCidr, parseCidr, parseEndpoint, type Endpoint } from '../net/ip.js';
import { EINVAL, EPROTO } from './errno.js';
import {
  UapiError,
  type UapiAllowedIpChange,
  type UapiDeviceState,
  type UapiPeerChange,
  type UapiPeerState,
  type UapiSetRequest,
  type UapiSetStep,
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

function parseDeviceStep(key: string, value: string): UapiSetStep {
  switch (key) {
    case 'private_key':
      return { key, value: parseKey(key, value) };
    case 'listen_port':
      return { key, value: parseUnsigned(key, value, 0xffff) };
    case 'fwmark':
      return { key, value: parseUnsigned(key, value, 0xffffffff) };
    case 'replace_peers':
      parseTrue(key, value);
      return { key };
    default:
      throw invalid(`not a device key: ${quote(key)}`);
  }
}

function parsePeerStep(key: string, value: string): UapiSetStep {
  switch (key) {
    case 'remove':
    case 'update_only':
    case 'replace_allowed_ips':
      parseTrue(key, value);
      return { key };
    case 'preshared_key':
      return { key, value: parseKey(key, value) };
    case 'endpoint':
      return { key, value: parseEndpointValue(value) };
    case 'persistent_keepalive_interval':
      return { key, value: parseUnsigned(key, value, 0xffff) };
    case 'allowed_ip':
      return { key, value: parseAllowedIp(value) };
    case 'protocol_version':
      if (value !== '1') throw invalid(`protocol_version: only 1 is known, not ${quote(value)}`);
      return { key };
    default:
      throw invalid(`not a peer key: ${quote(key)}`);
  }
}

/**
 * Parses the lines of one `set=1` request one at a time, as they arrive:
 * device keys first, and from the first public_key on, peer keys. Throws
 * UapiError: EPROTO for a line that is not KEY=VALUE, EINVAL for anything
 * else wireguard-go refuses.
 */
export class UapiSetParser {
  private inPeers = false;

  parse(line: string): UapiSetStep {
    const equals = line.indexOf('=');
    if (equals < 0) throw new UapiError(EPROTO, `not KEY=VALUE: ${quote(line)}`);
    const key = line.slice(0, equals);
    const value = line.slice(equals + 1);
    if (key === 'public_key') {
      this.inPeers = true;
      return { key, value: parseKey(key, value) };
    }
    return this.inPeers ? parsePeerStep(key, value) : parseDeviceStep(key, value);
  }
}

type PeerDraft = { -readonly [K in keyof UapiPeerChange]: UapiPeerChange[K] } & {
  allowedIps: UapiAllowedIpChange[];
};

function addToPeer(peer: PeerDraft, step: UapiSetStep): void {
  switch (step.key) {
    case 'remove':
      peer.remove = true;
      return;
    case 'update_only':
      peer.updateOnly = true;
      return;
    case 'preshared_key':
      peer.presharedKey = step.value;
      return;
    case 'endpoint':
      peer.endpoint = step.value;
      return;
    case 'persistent_keepalive_interval':
      peer.persistentKeepaliveInterval = step.value;
      return;
    case 'replace_allowed_ips':
      // Lines apply in order: a replacement wipes what this block added before it.
      peer.replaceAllowedIps = true;
      peer.allowedIps = [];
      return;
    case 'allowed_ip':
      peer.allowedIps.push(step.value);
      return;
    default:
      return;
  }
}

/** A whole `set=1` request's lines (without the operation line and the blank line that ends it) as one request. */
export function parseSetRequest(lines: Iterable<string>): UapiSetRequest {
  const parser = new UapiSetParser();
  const device: { -readonly [K in keyof UapiSetRequest]: UapiSetRequest[K] } = { replacePeers: false, peers: [] };
  const peers: PeerDraft[] = [];
  let peer: PeerDraft | undefined;
  for (const line of lines) {
    const step = parser.parse(line);
    if (step.key === 'public_key') {
      peer = { publicKey: step.value, remove: false, updateOnly: false, replaceAllowedIps: false, allowedIps: [] };
      peers.push(peer);
    } else if (peer) {
      addToPeer(peer, step);
    } else if (step.key === 'private_key') {
      device.privateKey = step.value;
    } else if (step.key === 'listen_port') {
      device.listenPort = step.value;
    } else if (step.key === 'fwmark') {
      device.fwmark = step.value;
    } else if (step.key === 'replace_peers') {
      device.replacePeers = true;
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
  return [...formatGetChunks(state)].join('');
}

/** Chunks of text this long are handed to the socket at a time. */
const GET_CHUNK_CHARACTERS = 64 * 1024;

/**
 * The same in pieces of some 64 KB, made as they are sent: the answer for a
 * server with 100,000 peers is tens of megabytes, which are never all held.
 */
export function* formatGetChunks(state: UapiDeviceState): Generator<string> {
  let chunk = '';
  if (state.privateKey && !isZeroKey(state.privateKey)) chunk += `private_key=${formatKeyHex(state.privateKey)}\n`;
  if (state.listenPort !== 0) chunk += `listen_port=${state.listenPort}\n`;
  if (state.fwmark !== 0) chunk += `fwmark=${state.fwmark}\n`;
  for (const peer of state.peers) {
    // Line by line: a peer may have some 100,000 allowed IPs.
    for (const line of formatPeer(peer)) {
      chunk += `${line}\n`;
      if (chunk.length >= GET_CHUNK_CHARACTERS) {
        yield chunk;
        chunk = '';
      }
    }
  }
  yield chunk + formatErrno(0);
}
