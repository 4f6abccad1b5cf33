// Routes for the peers' allowed networks through the tunnel interface.
import { formatCidr, type Cidr } from '../../net/ip.js';
import { familyFlag, type JournaledSystem, type RouteTable } from './undo-steps.js';

export async function addRoute(
  system: JournaledSystem,
  ifname: string,
  destination: Cidr,
  table: RouteTable,
): Promise<void> {
  const text = formatCidr(destination);
  await system.record({ op: 'delete-route', ifname, destination: text, table });
  await system.run(['ip', familyFlag(destination.family), 'route', 'add', text, 'dev', ifname, 'table', String(table)]);
}

export async function addRoutes(
  system: JournaledSystem,
  ifname: string,
  routes: readonly { readonly destination: Cidr; readonly table: RouteTable }[],
): Promise<void> {
  for (const route of routes) await addRoute(system, ifname, route.destination, route.table);
}
