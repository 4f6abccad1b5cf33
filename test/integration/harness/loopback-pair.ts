// The topology of the kernel's and wireguard-go's netns.sh: both daemons run in
// one namespace, whose loopback (MTU 65536) carries their UDP; each daemon's
// tunnel interface is then moved into a namespace of its own, where traffic
// enters and leaves the tunnel. No veth limits the outer MTU, so tunnels can
// be as large as a UDP datagram allows.
import type { Lab } from './lab.js';
import type { Namespace } from './namespace.js';
import { LISTEN_PORT, TUNNEL_MTU, TUNNEL_V4, TUNNEL_V6, type TunnelSide, type Tunnels } from './pair.js';
import { generateKeyPair, upTunnelInterface, wgSet } from './wg.js';
import type { WireGuardImplementation } from './wireguard.js';

export interface LoopbackPair extends Tunnels {
  /** Where both daemons and their UDP sockets live. */
  readonly hub: Namespace;
}

export interface LoopbackPairOptions {
  /** The family of the loopback address each side's endpoint is set to. Default 4. */
  readonly outerFamily?: 4 | 6;
  readonly mtu?: number;
}

async function startSide(
  lab: Lab,
  hub: Namespace,
  implementation: WireGuardImplementation,
  side: 'a' | 'b',
): Promise<TunnelSide> {
  const ifname = lab.tunnelInterfaceName();
  const daemon = await implementation.start(hub, ifname);
  const ns = await lab.namespace();
  return {
    implementation: implementation.name,
    ns,
    ifname,
    daemon,
    keys: await generateKeyPair(lab.dir),
    listenPort: LISTEN_PORT[side],
    tunnelV4: TUNNEL_V4[side],
    tunnelV6: TUNNEL_V6[side],
  };
}

export async function createLoopbackPair(
  lab: Lab,
  implementationA: WireGuardImplementation,
  implementationB: WireGuardImplementation,
  options: LoopbackPairOptions = {},
): Promise<LoopbackPair> {
  const hub = await lab.namespace();
  const a = await startSide(lab, hub, implementationA, 'a');
  const b = await startSide(lab, hub, implementationB, 'b');
  const loopback = (options.outerFamily ?? 4) === 4 ? '127.0.0.1' : '[::1]';
  const configure = async (self: TunnelSide, other: TunnelSide): Promise<void> => {
    // wg finds the daemon by its control socket, which does not move with the interface.
    await wgSet(hub, self.ifname, {
      privateKeyFile: self.keys.privateKeyFile,
      listenPort: self.listenPort,
      peers: [
        {
          publicKey: other.keys.publicKey,
          allowedIps: [`${other.tunnelV4}/32`, `${other.tunnelV6}/128`],
          endpoint: `${loopback}:${other.listenPort}`,
        },
      ],
    });
    await hub.exec('ip', ['link', 'set', self.ifname, 'netns', self.ns.name]);
    await upTunnelInterface(
      self.ns,
      self.ifname,
      [`${self.tunnelV4}/${TUNNEL_V4.prefix}`, `${self.tunnelV6}/${TUNNEL_V6.prefix}`],
      options.mtu ?? TUNNEL_MTU,
    );
  };
  await configure(a, b);
  await configure(b, a);
  return { hub, a, b };
}

/** Sets both tunnel interfaces' MTU. */
export async function setTunnelMtu(tunnels: Tunnels, mtu: number): Promise<void> {
  for (const side of [tunnels.a, tunnels.b]) await side.ns.exec('ip', ['link', 'set', side.ifname, 'mtu', String(mtu)]);
}
