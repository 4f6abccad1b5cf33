// The kill switch as WireGuard for Windows' firewall builds it: in Wirefly's
// own WFP sublayer, permit everything on the tunnel's interface, loopback,
// DHCP and NDP, the endpoints' UDP, and the engine's own UDP port to and from
// any address; let DNS reach only the tunnel's servers; block everything else,
// both families, both directions. WireGuard for Windows permits all of its
// service's traffic, so that a peer that roams is heard where it went; the
// engine's port (held with SO_EXCLUSIVEADDRUSE) is the narrower form of that.
// Pure: the filters are data that api.ts's FirewallSession adds in one
// transaction.
import { type Cidr, type Endpoint, type IpAddress, type IpFamily } from '../../net/ip.js';
import type { WfpCondition, WfpFilter } from './api.js';

const WEIGHT_BLOCK_ALL = 0;
const WEIGHT_PERMIT = 12;
const WEIGHT_BLOCK_DNS = 14;
const WEIGHT_PERMIT_DNS = 15;

export interface KillSwitchPlan {
  readonly luid: bigint;
  readonly endpoints: readonly Endpoint[];
  readonly dnsServers: readonly IpAddress[];
  /** The engine's UDP port. */
  readonly enginePort?: number;
}

type Layer = WfpFilter['layer'];
const LAYERS: Readonly<Record<IpFamily, readonly Layer[]>> = {
  4: ['connect-v4', 'accept-v4'],
  6: ['connect-v6', 'accept-v6'],
};

function host(address: IpAddress): Cidr {
  return { family: address.family, bytes: address.bytes, prefix: address.family === 4 ? 32 : 128 };
}

function onBothFamilies(
  name: string,
  action: WfpFilter['action'],
  weight: number,
  conditions: WfpCondition[],
): WfpFilter[] {
  return [...LAYERS[4], ...LAYERS[6]].map((layer) => ({ name, layer, action, weight, conditions }));
}

function dhcp(): WfpFilter[] {
  const v4: WfpCondition[] = [{ field: 'protocol', protocol: 'udp' }];
  return [
    {
      name: 'DHCP request',
      layer: 'connect-v4',
      action: 'permit',
      weight: WEIGHT_PERMIT,
      conditions: [...v4, { field: 'local-port', port: 68 }, { field: 'remote-port', port: 67 }],
    },
    {
      name: 'DHCP response',
      layer: 'accept-v4',
      action: 'permit',
      weight: WEIGHT_PERMIT,
      conditions: [...v4, { field: 'local-port', port: 68 }, { field: 'remote-port', port: 67 }],
    },
    {
      name: 'DHCPv6 request',
      layer: 'connect-v6',
      action: 'permit',
      weight: WEIGHT_PERMIT,
      conditions: [...v4, { field: 'local-port', port: 546 }, { field: 'remote-port', port: 547 }],
    },
    {
      name: 'DHCPv6 response',
      layer: 'accept-v6',
      action: 'permit',
      weight: WEIGHT_PERMIT,
      conditions: [...v4, { field: 'local-port', port: 546 }, { field: 'remote-port', port: 547 }],
    },
  ];
}

/** Router solicitation and advertisement, neighbour solicitation and advertisement, redirect (ICMPv6 133–137). */
function ndp(): WfpFilter[] {
  return [133, 134, 135, 136, 137].flatMap((type) =>
    LAYERS[6].map((layer) => ({
      name: `NDP type ${type}`,
      layer,
      action: 'permit' as const,
      weight: WEIGHT_PERMIT,
      conditions: [
        { field: 'protocol', protocol: 'icmpv6' },
        { field: 'icmp-type', type },
      ] as WfpCondition[],
    })),
  );
}

function endpoints(list: readonly Endpoint[]): WfpFilter[] {
  return list.map((endpoint) => ({
    name: 'WireGuard endpoint',
    layer: endpoint.family === 4 ? 'connect-v4' : 'connect-v6',
    action: 'permit',
    weight: WEIGHT_PERMIT,
    conditions: [
      { field: 'protocol', protocol: 'udp' },
      { field: 'remote-address', address: host(endpoint) },
      { field: 'remote-port', port: endpoint.port },
    ],
  }));
}

function dns(servers: readonly IpAddress[]): WfpFilter[] {
  if (servers.length === 0) return [];
  const toPort53 = (protocol: 'udp' | 'tcp'): WfpCondition[] => [
    { field: 'protocol', protocol },
    { field: 'remote-port', port: 53 },
  ];
  const permits = servers.flatMap((server) =>
    (['udp', 'tcp'] as const).map((protocol): WfpFilter => ({
      name: 'DNS to the tunnel servers',
      layer: server.family === 4 ? 'connect-v4' : 'connect-v6',
      action: 'permit',
      weight: WEIGHT_PERMIT_DNS,
      conditions: [...toPort53(protocol), { field: 'remote-address', address: host(server) }],
    })),
  );
  const blocks = (['udp', 'tcp'] as const).flatMap((protocol) =>
    (['connect-v4', 'connect-v6'] as const).map((layer): WfpFilter => ({
      name: 'DNS elsewhere',
      layer,
      action: 'block',
      weight: WEIGHT_BLOCK_DNS,
      conditions: toPort53(protocol),
    })),
  );
  return [...permits, ...blocks];
}

export function killSwitchFilters(plan: KillSwitchPlan): WfpFilter[] {
  const engine: WfpCondition[] =
    plan.enginePort === undefined
      ? []
      : [
          { field: 'protocol', protocol: 'udp' },
          { field: 'local-port', port: plan.enginePort },
        ];
  return [
    ...onBothFamilies('the tunnel', 'permit', WEIGHT_PERMIT, [{ field: 'interface', luid: plan.luid }]),
    ...onBothFamilies('loopback', 'permit', WEIGHT_PERMIT, [{ field: 'loopback' }]),
    ...dhcp(),
    ...ndp(),
    ...(engine.length > 0 ? onBothFamilies("the engine's port", 'permit', WEIGHT_PERMIT, engine) : []),
    ...endpoints(plan.endpoints),
    ...dns(plan.dnsServers),
    ...onBothFamilies('everything else', 'block', WEIGHT_BLOCK_ALL, []),
  ];
}
