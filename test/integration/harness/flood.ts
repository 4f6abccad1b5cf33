// A handshake flood against one side of a tunnel pair: a flooder namespace,
// linked to the server's, sends prepared initiations with a valid MAC1 from
// spoofed sources in 10.200.0.0/16 (which the server routes back into the
// flooder's namespace, where the replies die), through a small C program
// (test/bench/flood/handshake-flood.c) built here with the system's cc.
// Late clients, each in a namespace of its own, time a fresh handshake.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { handshakeCrypto } from '../../../helper/src/crypto/provider.js';
import { LABEL_MAC1 } from '../../../helper/src/engine/constants.js';
import { INITIATION, INITIATION_SIZE, MESSAGE_INITIATION } from '../../../helper/src/engine/messages.js';
import { keyFromBase64 } from '../../../helper/src/config/index.js';
import type { BackgroundProcess } from './background.js';
import type { Lab } from './lab.js';
import type { Namespace } from './namespace.js';
import { endpointOf, type TunnelPeer } from './pair.js';
import { ping } from './ping.js';
import { generateKeyPair, upTunnelInterface, wgSet } from './wg.js';
import type { WireGuardDaemon, WireGuardImplementation } from './wireguard.js';

/** The spoofed sources: 10.200.0.0/16, 65,536 addresses. */
const SPOOFED_PREFIX = '10.200';
const DISTINCT_MESSAGES = 4096;

function repositoryFile(...parts: string[]): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, ...parts);
  }
  throw new Error('repository root not found above the flood harness');
}

/** Builds the flooder into `dir` and returns its path; fails loudly without a C compiler. */
export function buildFlooder(dir: string): string {
  const output = join(dir, 'handshake-flood');
  const source = repositoryFile('test', 'bench', 'flood', 'handshake-flood.c');
  try {
    execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', output, source], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`cannot build the handshake flooder with cc (install gcc): ${(error as Error).message}`);
  }
  return output;
}

/**
 * Initiations anyone who knows `serverPublicKey` can make: random contents
 * and a valid MAC1, so that they pass the first check and cost the server a
 * Diffie-Hellman or a cookie reply each.
 */
export function floodMessages(serverPublicKey: Uint8Array, count = DISTINCT_MESSAGES): Buffer {
  const mac1Key = handshakeCrypto.hash(new TextEncoder().encode(LABEL_MAC1), serverPublicKey);
  const messages = Buffer.alloc(count * INITIATION_SIZE);
  const noise = handshakeCrypto.hash(serverPublicKey);
  for (let i = 0; i < count; i++) {
    const message = messages.subarray(i * INITIATION_SIZE, (i + 1) * INITIATION_SIZE);
    // Distinct, unpredictable-looking contents from a hash chain: cheap and repeatable.
    for (let offset = 4; offset < INITIATION.mac1; offset += 32) {
      const block = handshakeCrypto.hash(noise, Buffer.from(`${i}:${offset}`));
      block.copy(message, offset, 0, Math.min(32, INITIATION.mac1 - offset));
    }
    message.set([MESSAGE_INITIATION, 0, 0, 0], 0);
    message.set(handshakeCrypto.mac(mac1Key, message.subarray(0, INITIATION.mac1)), INITIATION.mac1);
  }
  return messages;
}

export interface FloodOptions {
  readonly rate: number;
  readonly seconds: number;
}

/** A flood aimed at `server`, ready to start. */
export class HandshakeFlood {
  private constructor(
    private readonly flooderNs: Namespace,
    private readonly flooder: string,
    private readonly messagesFile: string,
    private readonly target: { readonly address: string; readonly port: number },
  ) {}

  static async prepare(lab: Lab, server: TunnelPeer): Promise<HandshakeFlood> {
    const flooderNs = await lab.namespace();
    const link = await lab.link(flooderNs, server.ns);
    await server.ns.exec('ip', ['route', 'add', `${SPOOFED_PREFIX}.0.0/16`, 'via', link.a.v4]);
    const messagesFile = join(lab.dir, 'flood-initiations');
    writeFileSync(messagesFile, floodMessages(keyFromBase64(server.keys.publicKey)!));
    return new HandshakeFlood(flooderNs, buildFlooder(lab.dir), messagesFile, {
      address: link.b.v4,
      port: server.listenPort,
    });
  }

  /** Starts the flood; resolves with the number of initiations sent once it has run its time. */
  start(options: FloodOptions): { readonly process: BackgroundProcess; readonly sent: Promise<number> } {
    const process = this.flooderNs.spawn(this.flooder, [
      this.messagesFile,
      this.target.address,
      String(this.target.port),
      SPOOFED_PREFIX,
      String(options.rate),
      String(options.seconds),
    ]);
    const sent = process.exited.then((exit) => {
      if (exit.code !== 0) throw new Error(`the flooder ${process.describeExit()}: ${process.log()}`);
      return Number(process.log().trim());
    });
    return { process, sent };
  }
}

/** A client that has not talked to the server yet, in a namespace and on a link of its own. */
export interface LateClient {
  readonly ns: Namespace;
  readonly daemon: WireGuardDaemon;
  readonly serverTunnelAddress: string;
}

/** Adds a peer at `server` and a client for it, configured but silent until it first sends. */
export async function addLateClient(
  lab: Lab,
  implementation: WireGuardImplementation,
  server: TunnelPeer,
  tunnelAddress: string,
): Promise<LateClient> {
  const ns = await lab.namespace();
  const link = await lab.link(ns, server.ns);
  const ifname = lab.tunnelInterfaceName();
  const daemon = await implementation.start(ns, ifname);
  const keys = await generateKeyPair(lab.dir);
  await wgSet(server.ns, server.ifname, {
    peers: [{ publicKey: keys.publicKey, allowedIps: [`${tunnelAddress}/32`] }],
  });
  const serverEndpoint = endpointOf({ ...server, outer: link.b }, 4);
  await wgSet(ns, ifname, {
    privateKeyFile: keys.privateKeyFile,
    peers: [{ publicKey: server.keys.publicKey, allowedIps: [`${server.tunnelV4}/32`], endpoint: serverEndpoint }],
  });
  await upTunnelInterface(ns, ifname, [`${tunnelAddress}/24`], 1420);
  return { ns, daemon, serverTunnelAddress: server.tunnelV4 };
}

/** Milliseconds from the client's first packet until a ping through a fresh handshake is answered; undefined if none within the deadline. */
export async function timeFirstHandshake(client: LateClient, deadlineSeconds: number): Promise<number | undefined> {
  const start = performance.now();
  const result = await ping(client.ns, client.serverTunnelAddress, {
    count: 1,
    intervalSeconds: 0.05,
    deadlineSeconds,
  });
  return result.received > 0 ? performance.now() - start : undefined;
}
