// The tunnel interface itself: its addresses, its MTU, and bringing it up.
import { formatCidr, type Cidr } from '../../net/ip.js';
import type { JournaledSystem } from './undo-steps.js';

interface LinkJson {
  readonly mtu: number;
  readonly flags: readonly string[];
}

export async function readLink(system: JournaledSystem, ifname: string): Promise<LinkJson> {
  const links = JSON.parse(await system.run(['ip', '-j', 'link', 'show', 'dev', ifname])) as LinkJson[];
  const link = links[0];
  if (!link) throw new Error(`interface ${ifname} not found`);
  return link;
}

export async function addAddresses(system: JournaledSystem, ifname: string, addresses: readonly Cidr[]): Promise<void> {
  for (const address of addresses) {
    const text = formatCidr(address);
    await system.record({ op: 'delete-address', ifname, address: text });
    await system.run(['ip', address.family === 4 ? '-4' : '-6', 'address', 'add', text, 'dev', ifname]);
  }
}

/** Sets the MTU and brings the link up, journaling only what actually changes. */
export async function setMtuAndUp(system: JournaledSystem, ifname: string, mtu: number): Promise<void> {
  const before = await readLink(system, ifname);
  if (before.mtu !== mtu) {
    await system.record({ op: 'restore-mtu', ifname, mtu: before.mtu });
    await system.run(['ip', 'link', 'set', 'dev', ifname, 'mtu', String(mtu)]);
  }
  if (!before.flags.includes('UP')) {
    await system.record({ op: 'set-link-down', ifname });
    await system.run(['ip', 'link', 'set', 'dev', ifname, 'up']);
  }
}
