// Keys, configuration and status through the real `wg` tool, as a user would.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from './exec.js';
import type { Namespace } from './namespace.js';

export interface KeyPair {
  readonly privateKey: string;
  readonly publicKey: string;
  /** `wg set` reads keys from files, never from the command line. */
  readonly privateKeyFile: string;
}

export interface PresharedKey {
  readonly key: string;
  readonly file: string;
}

let keyFiles = 0;

function writeKeyFile(dir: string, key: string): string {
  keyFiles += 1;
  const file = join(dir, `key-${keyFiles}`);
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return file;
}

export async function generateKeyPair(dir: string): Promise<KeyPair> {
  const privateKey = (await exec(undefined, 'wg', ['genkey'])).trim();
  const publicKey = (await exec(undefined, 'wg', ['pubkey'], { input: `${privateKey}\n` })).trim();
  return { privateKey, publicKey, privateKeyFile: writeKeyFile(dir, privateKey) };
}

export async function generatePresharedKey(dir: string): Promise<PresharedKey> {
  const key = (await exec(undefined, 'wg', ['genpsk'])).trim();
  return { key, file: writeKeyFile(dir, key) };
}

export interface PeerSettings {
  readonly publicKey: string;
  readonly presharedKeyFile?: string;
  /** Replaces the peer's allowed IPs; left as they are when absent. */
  readonly allowedIps?: readonly string[];
  /** `host:port` or `[v6]:port`. */
  readonly endpoint?: string;
  readonly persistentKeepalive?: number;
}

export interface InterfaceSettings {
  readonly privateKeyFile?: string;
  readonly listenPort?: number;
  readonly peers?: readonly PeerSettings[];
}

function peerArguments(peer: PeerSettings): string[] {
  const args = ['peer', peer.publicKey];
  if (peer.presharedKeyFile) args.push('preshared-key', peer.presharedKeyFile);
  if (peer.allowedIps) args.push('allowed-ips', peer.allowedIps.join(','));
  if (peer.endpoint) args.push('endpoint', peer.endpoint);
  if (peer.persistentKeepalive !== undefined) {
    args.push('persistent-keepalive', String(peer.persistentKeepalive));
  }
  return args;
}

/** `wg set IFNAME ...` inside the interface's namespace. */
export async function wgSet(ns: Namespace, ifname: string, settings: InterfaceSettings): Promise<void> {
  const args = ['set', ifname];
  if (settings.privateKeyFile) args.push('private-key', settings.privateKeyFile);
  if (settings.listenPort !== undefined) args.push('listen-port', String(settings.listenPort));
  for (const peer of settings.peers ?? []) args.push(...peerArguments(peer));
  await ns.exec('wg', args);
}

/** Gives the tunnel interface its addresses (prefix included) and brings it up. */
export async function upTunnelInterface(
  ns: Namespace,
  ifname: string,
  addresses: readonly string[],
  mtu: number,
): Promise<void> {
  for (const address of addresses) {
    const nodad = address.includes(':') ? ['nodad'] : [];
    await ns.exec('ip', ['addr', 'add', address, 'dev', ifname, ...nodad]);
  }
  await ns.exec('ip', ['link', 'set', ifname, 'mtu', String(mtu), 'up']);
}
