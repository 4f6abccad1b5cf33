// A wireguard-go server for the app's tests, with the client config a user
// would import for it: the client namespace at 10.99.1.1 reaches the server at
// 10.99.1.2, whose tunnel address is 10.77.0.1; the client gets 10.77.0.2.
import type { Lab } from './lab.js';
import type { Namespace } from './namespace.js';
import { generateKeyPair, upTunnelInterface, wgSet } from './wg.js';
import { wireguardGo } from './wireguard.js';

const SERVER_PORT = 51820;
export const SERVER_TUNNEL_ADDRESS = '10.77.0.1';

export interface TunnelServer {
  readonly client: Namespace;
  readonly server: Namespace;
  readonly serverPublicKey: string;
  /** A wg-quick config for the client, as a user would import it. */
  readonly clientConfig: string;
}

export async function startTunnelServer(lab: Lab, options: { readonly persistentKeepalive: number }): Promise<TunnelServer> {
  const client = await lab.namespace();
  const server = await lab.namespace();
  await lab.link(client, server);
  const ifname = lab.tunnelInterfaceName();
  await wireguardGo.start(server, ifname);
  const serverKeys = await generateKeyPair(lab.dir);
  const clientKeys = await generateKeyPair(lab.dir);
  await wgSet(server, ifname, {
    privateKeyFile: serverKeys.privateKeyFile,
    listenPort: SERVER_PORT,
    peers: [{ publicKey: clientKeys.publicKey, allowedIps: ['10.77.0.2/32'] }],
  });
  await upTunnelInterface(server, ifname, [`${SERVER_TUNNEL_ADDRESS}/24`], 1420);
  const clientConfig = [
    '[Interface]',
    `PrivateKey = ${clientKeys.privateKey}`,
    'Address = 10.77.0.2/32',
    '',
    '[Peer]',
    `PublicKey = ${serverKeys.publicKey}`,
    'AllowedIPs = 10.77.0.0/24',
    `Endpoint = 10.99.1.2:${SERVER_PORT}`,
    `PersistentKeepalive = ${options.persistentKeepalive}`,
    '',
  ].join('\n');
  return { client, server, serverPublicKey: serverKeys.publicKey, clientConfig };
}
