// A server interface given many peers at once, as a large deployment's
// configuration tool would: one `wg setconf` with N peers (random public keys,
// an address of their own each) besides the one real client of a tunnel pair,
// then N - 1 of them taken away in one set request over the control socket.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import type { Lab } from './lab.js';
import { endpointOf, type TunnelPeer } from './pair.js';
import { uapiSocketPath } from './wireguard.js';

export interface ManyPeers {
  /** Hex public keys, for removing them over the control socket. */
  readonly publicKeysHex: readonly string[];
  /** The config file: the server's interface, its real client, and the N generated peers. */
  readonly configFile: string;
}

/** Peer i's address: 10.128.0.0/9 holds eight million. */
function peerAddress(i: number): string {
  const n = 0x0a800000 + i + 1;
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}/32`;
}

/**
 * Writes a setconf file for `server`: its key and port, its client `client` as
 * the pair has it (with its endpoint, so that the server can start the new
 * session setconf makes it need), and `count` more.
 */
export function writeManyPeers(lab: Lab, server: TunnelPeer, client: TunnelPeer, count: number): ManyPeers {
  const lines = [
    '[Interface]',
    `PrivateKey = ${server.keys.privateKey}`,
    `ListenPort = ${server.listenPort}`,
    '',
    '[Peer]',
    `PublicKey = ${client.keys.publicKey}`,
    `AllowedIPs = ${client.tunnelV4}/32, ${client.tunnelV6}/128`,
    `Endpoint = ${endpointOf(client, 4)}`,
  ];
  const publicKeysHex: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = randomBytes(32);
    publicKeysHex.push(key.toString('hex'));
    lines.push('', '[Peer]', `PublicKey = ${key.toString('base64')}`, `AllowedIPs = ${peerAddress(i)}`);
  }
  const configFile = join(lab.dir, `peers-${count}.conf`);
  writeFileSync(configFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  return { publicKeysHex, configFile };
}

/** One `set` request over the control socket, streamed as written; resolves with the errno it was answered with. */
export function uapiSet(ifname: string, lines: Iterable<string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(uapiSocketPath(ifname));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      const match = /errno=(-?\d+)\n\n/.exec(answer);
      if (match) {
        socket.end();
        resolve(Number(match[1]));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`control socket closed without an answer: ${JSON.stringify(answer)}`)));
    const write = async () => {
      let chunk = 'set=1\n';
      for (const line of lines) {
        chunk += `${line}\n`;
        if (chunk.length >= 64 * 1024) {
          if (!socket.write(chunk)) await new Promise((drained) => socket.once('drain', drained));
          chunk = '';
        }
      }
      socket.write(`${chunk}\n`);
    };
    socket.once('connect', () => void write().catch(reject));
  });
}

/** The lines that remove these peers. */
export function* removalLines(publicKeysHex: readonly string[]): Generator<string> {
  for (const key of publicKeysHex) {
    yield `public_key=${key}`;
    yield 'remove=true';
  }
}
