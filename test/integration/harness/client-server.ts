// The root helper's tests against a real peer: a client namespace runs the
// helper and its CLI, a server namespace runs wireguard-go, joined by veth1
// (client 10.99.1.1, server 10.99.1.2, the client's default route). The
// server's tunnel address is 10.77.0.1, the client's 10.77.0.2.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { withLab, type Lab } from './lab.js';
import type { Namespace } from './namespace.js';
import { RootHelper } from './root-helper.js';
import { generateKeyPair, upTunnelInterface, wgSet, type KeyPair } from './wg.js';
import { wireguardGo, type WireGuardDaemon } from './wireguard.js';

export const SERVER_PORT = 51820;
export const SERVER_TUNNEL = '10.77.0.1';
export const CLIENT_TUNNEL = '10.77.0.2';
export const SERVER_LAN = '10.99.1.2';

export interface ServerOptions {
  /** The server's allowed IPs for the client (default: the client's tunnel address). */
  readonly clientAllowedIps?: readonly string[];
  /** A server that has some other client instead (it does not know ours). */
  readonly knowsClient?: boolean;
}

export interface ClientConfigOptions {
  readonly endpoint: string;
  readonly allowedIps?: string;
  readonly interfaceLines?: readonly string[];
}

export class ClientServer {
  daemon: WireGuardDaemon | undefined;
  helper!: RootHelper;
  readonly serverIfname: string;
  private etcDirectory: string | undefined;

  private constructor(
    readonly lab: Lab,
    readonly client: Namespace,
    readonly server: Namespace,
    readonly serverKeys: KeyPair,
    readonly clientKeys: KeyPair,
  ) {
    this.serverIfname = lab.tunnelInterfaceName();
  }

  static async create(lab: Lab): Promise<ClientServer> {
    const client = await lab.namespace();
    const server = await lab.namespace();
    await lab.link(client, server);
    await client.exec('ip', ['route', 'add', 'default', 'via', SERVER_LAN]);
    return new ClientServer(lab, client, server, await generateKeyPair(lab.dir), await generateKeyPair(lab.dir));
  }

  /** A wireguard-go that knows the client's key (unless told otherwise) and nothing of any session. */
  async startServer(options: ServerOptions = {}): Promise<void> {
    this.daemon = await wireguardGo.start(this.server, this.serverIfname);
    const stranger = options.knowsClient === false ? await generateKeyPair(this.lab.dir) : this.clientKeys;
    await wgSet(this.server, this.serverIfname, {
      privateKeyFile: this.serverKeys.privateKeyFile,
      listenPort: SERVER_PORT,
      peers: [{ publicKey: stranger.publicKey, allowedIps: options.clientAllowedIps ?? [`${CLIENT_TUNNEL}/32`] }],
    });
    await upTunnelInterface(this.server, this.serverIfname, [`${SERVER_TUNNEL}/24`], 1420);
  }

  async stopServer(): Promise<void> {
    await this.daemon?.stop();
    this.daemon = undefined;
  }

  async startHelper(): Promise<RootHelper> {
    this.helper = await RootHelper.start(this.lab, this.client);
    return this.helper;
  }

  /**
   * The client's resolv.conf, bind-mounted by `ip netns exec` over the host's
   * (without it a tunnel's DNS would be written into the host's).
   */
  useResolver(nameserver: string): void {
    this.etcDirectory = join('/etc/netns', this.client.name);
    mkdirSync(this.etcDirectory, { recursive: true });
    writeFileSync(join(this.etcDirectory, 'resolv.conf'), `nameserver ${nameserver}\n`);
  }

  /** Writes a client config named after a fresh interface; returns its path. */
  writeConfig(options: ClientConfigOptions): string {
    const name = this.lab.tunnelInterfaceName();
    const path = join(this.lab.dir, `${name}.conf`);
    writeFileSync(
      path,
      [
        '[Interface]',
        `PrivateKey = ${this.clientKeys.privateKey}`,
        `Address = ${CLIENT_TUNNEL}/32`,
        ...(options.interfaceLines ?? []),
        '',
        '[Peer]',
        `PublicKey = ${this.serverKeys.publicKey}`,
        `AllowedIPs = ${options.allowedIps ?? '10.77.0.0/24'}`,
        `Endpoint = ${options.endpoint}`,
        '',
      ].join('\n'),
    );
    return path;
  }

  cleanup(): void {
    if (this.etcDirectory) rmSync(this.etcDirectory, { recursive: true, force: true });
  }
}

export function withClientServer(t: TestContext, body: (s: ClientServer) => Promise<void>): Promise<void> {
  return withLab(t, async (lab) => {
    const s = await ClientServer.create(lab);
    try {
      await body(s);
    } finally {
      s.cleanup();
    }
  });
}

export function interfaceNameOf(configPath: string): string {
  return configPath.replace(/^.*\//, '').replace(/\.conf$/, '');
}
