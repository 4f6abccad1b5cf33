// The utun interface itself, through ifconfig: its addresses, its MTU, up.
// A utun is point-to-point: an IPv4 address is given with itself as the far
// end, as wg-quick does, and the address's network gets no route of its own
// (apply.ts adds the allowed networks inside it).
import { formatCidr, formatIpAddress, type Cidr } from '../../net/ip.js';
import type { JournaledSystem } from './undo-steps.js';

export interface InterfaceState {
  readonly mtu: number;
  readonly up: boolean;
}

/** `ifconfig IF`'s first line: "utun4: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1500". */
export function parseIfconfig(ifname: string, text: string): InterfaceState {
  const first = text.split('\n', 1)[0] ?? '';
  const match = /flags=[0-9a-f]+<([^>]*)>.*\bmtu (\d+)/.exec(first);
  if (!match?.[2]) throw new Error(`cannot read ifconfig's answer for ${ifname}: ${first}`);
  return { mtu: Number(match[2]), up: (match[1] ?? '').split(',').includes('UP') };
}

export async function readInterface(system: Pick<JournaledSystem, 'run'>, ifname: string): Promise<InterfaceState> {
  return parseIfconfig(ifname, (await system.run(['ifconfig', ifname])).stdout);
}

export function addressArguments(ifname: string, address: Cidr): string[] {
  return address.family === 4
    ? ['ifconfig', ifname, 'inet', formatCidr(address), formatIpAddress(address), 'alias']
    : ['ifconfig', ifname, 'inet6', formatCidr(address), 'alias'];
}

export async function addAddresses(system: JournaledSystem, ifname: string, addresses: readonly Cidr[]): Promise<void> {
  for (const address of addresses) {
    await system.record({ op: 'delete-address', ifname, address: formatCidr(address) });
    await system.run(addressArguments(ifname, address));
  }
}

/** Sets the MTU, journaling the one it replaces, if it is another. */
export async function setMtu(system: JournaledSystem, ifname: string, mtu: number): Promise<InterfaceState> {
  const before = await readInterface(system, ifname);
  if (before.mtu !== mtu) {
    await system.record({ op: 'restore-mtu', ifname, mtu: before.mtu });
    await system.run(['ifconfig', ifname, 'mtu', String(mtu)]);
  }
  return before;
}

/** Sets the MTU and brings the interface up, journaling only what actually changes. */
export async function setMtuAndUp(system: JournaledSystem, ifname: string, mtu: number): Promise<void> {
  const before = await setMtu(system, ifname, mtu);
  if (!before.up) {
    await system.record({ op: 'set-link-down', ifname });
    await system.run(['ifconfig', ifname, 'up']);
  }
}
