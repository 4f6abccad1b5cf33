// WireGuard inside WireGuard: a second pair of daemons runs in the namespaces
// of an existing tunnel's interfaces, so their UDP is carried by that tunnel;
// each inner interface stays where its daemon runs.
import type { Lab } from './lab.js';
import type { TunnelSide, Tunnels } from './pair.js';
import { generateKeyPair, upTunnelInterface, wgSet } from './wg.js';
import type { WireGuardImplementation } from './wireguard.js';

export const INNER_V4 = { a: '10.78.0.1', b: '10.78.0.2', prefix: 24 };
export const INNER_V6 = { a: 'fd78::1', b: 'fd78::2', prefix: 64 };
const INNER_PORT = { a: 52001, b: 52002 };

async function startInnerSide(
  lab: Lab,
  carrier: TunnelSide,
  implementation: WireGuardImplementation,
  side: 'a' | 'b',
): Promise<TunnelSide> {
  const ifname = lab.tunnelInterfaceName();
  return {
    implementation: implementation.name,
    ns: carrier.ns,
    ifname,
    daemon: await implementation.start(carrier.ns, ifname),
    keys: await generateKeyPair(lab.dir),
    listenPort: INNER_PORT[side],
    tunnelV4: INNER_V4[side],
    tunnelV6: INNER_V6[side],
  };
}

/** A tunnel between `outer`'s two namespaces whose endpoints are the outer tunnel's IPv6 addresses. */
export async function createNestedPair(
  lab: Lab,
  outer: Tunnels,
  implementationA: WireGuardImplementation,
  implementationB: WireGuardImplementation,
  mtu: number,
): Promise<Tunnels> {
  const a = await startInnerSide(lab, outer.a, implementationA, 'a');
  const b = await startInnerSide(lab, outer.b, implementationB, 'b');
  const configure = async (self: TunnelSide, other: TunnelSide, otherCarrier: TunnelSide): Promise<void> => {
    await wgSet(self.ns, self.ifname, {
      privateKeyFile: self.keys.privateKeyFile,
      listenPort: self.listenPort,
      peers: [
        {
          publicKey: other.keys.publicKey,
          allowedIps: [`${other.tunnelV4}/32`, `${other.tunnelV6}/128`],
          endpoint: `[${otherCarrier.tunnelV6}]:${other.listenPort}`,
        },
      ],
    });
    await upTunnelInterface(
      self.ns,
      self.ifname,
      [`${self.tunnelV4}/${INNER_V4.prefix}`, `${self.tunnelV6}/${INNER_V6.prefix}`],
      mtu,
    );
  };
  await configure(a, b, outer.b);
  await configure(b, a, outer.a);
  return { a, b };
}
