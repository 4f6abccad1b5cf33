// A wireguard-go server for the app's tests, with the client config a user
// would import for it: the client namespace at 10.99.1.1 reaches the server at
// 10.99.1.2, whose tunnel address is 10.77.0.1; the client gets 10.77.0.2.
import type { Lab } from './lab.js';
import type { Namespace } from './namespace.js';
import { generateKeyPair, upTunnelInterface, wgSet, type KeyPair } from './wg.js';
import { wireguardGo } from './wireguard.js';

const SERVER_PORT = 51820;
export const SERVER_TUNNEL_ADDRESS = '10.77.0.1';
const CLIENT_TUNNEL_ADDRESS = '10.77.0.2';

export interface TunnelServer {
  readonly client: Namespace;
  readonly server: Namespace;
  readonly serverPublicKey: string;
  /** A wg-quick config for the client, as a user would import it. */
  readonly clientConfig: string;
}

export interface ServerPeer {
  /** The client's keys, which the server knows as its peer's. */
  readonly client: KeyPair;
  readonly server: KeyPair;
}

export interface ServerPeerOptions {
  readonly port: number;
  /** The server's tunnel address. */
  readonly serverAddress: string;
  /** The one client's tunnel address, the server's only allowed IP for it. */
  readonly clientAddress: string;
  /** Where the server reaches the client, if it should not wait to learn it. */
  readonly clientEndpoint?: string;
}

/** A wireguard-go peer in `ns` with fresh keys for it and for its one client, up at `serverAddress`/24. */
export async function startServerPeer(lab: Lab, ns: Namespace, options: ServerPeerOptions): Promise<ServerPeer> {
  const ifname = lab.tunnelInterfaceName();
  await wireguardGo.start(ns, ifname);
  const server = await generateKeyPair(lab.dir);
  const client = await generateKeyPair(lab.dir);
  const endpoint = options.clientEndpoint === undefined ? {} : { endpoint: options.clientEndpoint };
  await wgSet(ns, ifname, {
    privateKeyFile: server.privateKeyFile,
    listenPort: options.port,
    peers: [{ publicKey: client.publicKey, allowedIps: [`${options.clientAddress}/32`], ...endpoint }],
  });
  await upTunnelInterface(ns, ifname, [`${options.serverAddress}/24`], 1420);
  return { client, server };
}

export async function startTunnelServer(
  lab: Lab,
  options: { readonly persistentKeepalive: number },
): Promise<TunnelServer> {
  const client = await lab.namespace();
  const server = await lab.namespace();
  await lab.link(client, server);
  const keys = await startServerPeer(lab, server, {
    port: SERVER_PORT,
    serverAddress: SERVER_TUNNEL_ADDRESS,
    clientAddress: CLIENT_TUNNEL_ADDRESS,
  });
  const clientConfig = [
    '[Interface]',
    `PrivateKey = ${keys.client.privateKey}`,
    `Address = ${CLIENT_TUNNEL_ADDRESS}/32`,
    '',
    '[Peer]',
    `PublicKey = ${keys.server.publicKey}`,
    'AllowedIPs = 10.77.0.0/24',
    `Endpoint = 10.99.1.2:${SERVER_PORT}`,
    `PersistentKeepalive = ${options.persistentKeepalive}`,
    '',
  ].join('\n');
  return { client, server, serverPublicKey: keys.server.publicKey, clientConfig };
}
