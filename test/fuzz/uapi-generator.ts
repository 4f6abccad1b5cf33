// Conversations with the wg(8) control socket: get and set operations on one
// connection, each set request from the protocol's grammar (device keys, peer
// blocks with every peer key, allowed_ip additions and removals around a
// replace_allowed_ips) with the UapiSetRequest it must parse to.
import { importPrivateKey } from '../../helper/src/crypto/x25519.js';
import type { Cidr } from '../../helper/src/net/ip.js';
import type { UapiAllowedIpChange, UapiPeerChange, UapiSetRequest } from '../../helper/src/uapi/model.js';
import { cidr, ipv4, ipv6 } from './addresses.js';
import type { Random } from './random.js';

export type ValidOperation =
  { readonly op: 'get' } | { readonly op: 'set'; readonly lines: readonly string[]; readonly request: UapiSetRequest };

export interface Conversation {
  /** The device's key before the first operation. */
  readonly privateKey: Uint8Array;
  readonly operations: readonly ValidOperation[];
}

/** Ports the test device cannot bind, as if another socket held them. */
export const TAKEN_PORTS: ReadonlySet<number> = new Set([53, 443, 8080]);

function hex(random: Random, bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('hex');
  return random.chance(0.1) ? text.toUpperCase() : text;
}

function unsigned(random: Random, value: number): string {
  return random.chance(0.05) ? `00${value}` : String(value);
}

/** The network with its host bits cleared, as a set request stores it. */
function masked(network: Cidr): Cidr {
  const bytes = Uint8Array.from(network.bytes, (byte, i) => {
    const kept = Math.max(0, Math.min(8, network.prefix - 8 * i));
    return byte & (0xff << (8 - kept)) & 0xff;
  });
  return { family: network.family, bytes, prefix: network.prefix };
}

/** A line of a request and what it does to the request it must parse to. */
interface Setting {
  readonly line: string;
  readonly apply: () => void;
}

function peerBlock(random: Random, publicKey: Uint8Array): { lines: string[]; change: UapiPeerChange } {
  type Draft = { -readonly [K in keyof UapiPeerChange]: UapiPeerChange[K] } & { allowedIps: UapiAllowedIpChange[] };
  const change: Draft = { publicKey, remove: false, updateOnly: false, replaceAllowedIps: false, allowedIps: [] };
  const settings: Setting[] = [];
  if (random.chance(0.08)) settings.push({ line: 'remove=true', apply: () => (change.remove = true) });
  if (random.chance(0.1)) settings.push({ line: 'update_only=true', apply: () => (change.updateOnly = true) });
  if (random.chance(0.3)) {
    const key = random.chance(0.2) ? new Uint8Array(32) : random.bytes(32);
    settings.push({ line: `preshared_key=${hex(random, key)}`, apply: () => (change.presharedKey = key) });
  }
  if (random.chance(0.4)) {
    const port = random.int(0, 65535);
    const address = random.chance(0.6) ? ipv4(random) : ipv6(random);
    const text = address.value.family === 4 ? `${address.text}:${port}` : `[${address.text}]:${port}`;
    settings.push({ line: `endpoint=${text}`, apply: () => (change.endpoint = { ...address.value, port }) });
  }
  if (random.chance(0.3)) {
    const seconds = random.chance(0.3) ? random.pick([0, 1, 25, 65535]) : random.int(0, 65535);
    settings.push({
      line: `persistent_keepalive_interval=${unsigned(random, seconds)}`,
      apply: () => (change.persistentKeepaliveInterval = seconds),
    });
  }
  if (random.chance(0.2)) settings.push({ line: 'protocol_version=1', apply: () => {} });
  const networks = Array.from(
    {
      length: random.weighted([
        [2, 0],
        [5, random.int(1, 4)],
        [1, random.int(5, 20)],
      ] as const),
    },
    (): Setting => {
      const network = cidr(random);
      const remove = random.chance(0.2);
      // The protocol has no bare addresses: every network carries its prefix.
      const text = network.text.includes('/') ? network.text : `${network.text}/${network.value.prefix}`;
      return {
        line: `allowed_ip=${remove ? '-' : ''}${text}`,
        apply: () => void change.allowedIps.push({ cidr: masked(network.value), remove }),
      };
    },
  );
  // Lines apply in order; replace_allowed_ips drops the networks the block named before it.
  const ordered = [...networks];
  if (random.chance(0.25)) {
    ordered.splice(random.int(0, ordered.length), 0, {
      line: 'replace_allowed_ips=true',
      apply: () => {
        change.replaceAllowedIps = true;
        change.allowedIps = [];
      },
    });
  }
  for (const setting of settings) ordered.splice(random.int(0, ordered.length), 0, setting);
  for (const item of ordered) item.apply();
  return { lines: [`public_key=${hex(random, publicKey)}`, ...ordered.map((item) => item.line)], change };
}

/** `privateKeys`: the keys a request may give the device, whose public keys are also among the peer `keys`. */
function generateSetRequest(
  random: Random,
  keys: readonly Uint8Array[],
  privateKeys: readonly Uint8Array[],
): { lines: string[]; request: UapiSetRequest } {
  type Draft = { -readonly [K in keyof UapiSetRequest]: UapiSetRequest[K] };
  const request: Draft = { replacePeers: false, peers: [] };
  const device: Setting[] = [];
  if (random.chance(0.25)) {
    const key = random.weighted<() => Uint8Array>([
      [2, () => random.pick(privateKeys)],
      [2, () => random.bytes(32)],
      [1, () => new Uint8Array(32)],
    ])();
    device.push({ line: `private_key=${hex(random, key)}`, apply: () => (request.privateKey = key) });
  }
  if (random.chance(0.3)) {
    const port = random.chance(0.1)
      ? random.pick([...TAKEN_PORTS])
      : random.chance(0.2)
        ? random.pick([0, 1, 51820, 65535])
        : random.int(0, 65535);
    device.push({ line: `listen_port=${unsigned(random, port)}`, apply: () => (request.listenPort = port) });
  }
  if (random.chance(0.2)) {
    const mark = random.chance(0.3) ? random.pick([0, 1, 0xffffffff]) : random.int(0, 0xffffffff);
    device.push({ line: `fwmark=${unsigned(random, mark)}`, apply: () => (request.fwmark = mark) });
  }
  if (random.chance(0.1)) device.push({ line: 'replace_peers=true', apply: () => (request.replacePeers = true) });
  const lines: string[] = [];
  for (const item of random.shuffle(device)) {
    item.apply();
    lines.push(item.line);
  }
  const peers: UapiPeerChange[] = [];
  for (
    let i = random.weighted([
      [1, 0],
      [4, random.int(1, 3)],
      [1, random.int(4, 8)],
    ] as const);
    i > 0;
    i--
  ) {
    const block = peerBlock(random, random.pick(keys));
    lines.push(...block.lines);
    peers.push(block.change);
  }
  request.peers = peers;
  return { lines, request };
}

/**
 * One to five operations. Peers are named from a small pool of keys, so that
 * requests update, remove and re-create the same peers; the pool holds the
 * all-zero key now and then, and the public keys of the device's first key
 * and of another one a request may give it, so that a request names the
 * device itself as a peer, or makes an existing peer the device.
 */
export function generateConversation(random: Random): Conversation {
  const privateKeys = [random.bytes(32), random.bytes(32)];
  const keys = [
    ...Array.from({ length: random.int(1, 5) }, () => random.bytes(32)),
    ...(random.chance(0.05) ? [new Uint8Array(32)] : []),
    ...privateKeys.filter(() => random.chance(0.3)).map((key) => Uint8Array.from(importPrivateKey(key).publicKey)),
  ];
  const operations = Array.from({ length: random.int(1, 5) }, (): ValidOperation => {
    if (random.chance(0.25)) return { op: 'get' };
    return { op: 'set', ...generateSetRequest(random, keys, privateKeys) };
  });
  return { privateKey: privateKeys[0]!, operations };
}

export function conversationText(operations: readonly ValidOperation[]): string {
  return operations
    .map((operation) =>
      operation.op === 'get' ? 'get=1\n\n' : `set=1\n${operation.lines.map((line) => `${line}\n`).join('')}\n`,
    )
    .join('');
}
