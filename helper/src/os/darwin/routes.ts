// Routes into the utun. macOS has one routing table, so a full tunnel is the
// two halves of the address space (0/1 and 128/1, ::/1 and 8000::/1): more
// specific than the default route, which stays as it was for the endpoints'
// host routes (endpoint-routes.ts) to lead to.
import { formatCidr, parseCidr, type Cidr, type IpFamily } from '../../net/ip.js';
import { familyOption, type JournaledSystem } from './undo-steps.js';

export function routeArguments(ifname: string, destination: Cidr): string[] {
  return ['route', '-q', '-n', 'add', familyOption(destination.family), formatCidr(destination), '-interface', ifname];
}

export async function addRoutes(system: JournaledSystem, ifname: string, destinations: readonly Cidr[]): Promise<void> {
  for (const destination of destinations) {
    await system.record({ op: 'delete-route', ifname, destination: formatCidr(destination) });
    await system.run(routeArguments(ifname, destination));
  }
}

export function addressSpaceHalves(family: IpFamily): Cidr[] {
  const halves = family === 4 ? ['0.0.0.0/1', '128.0.0.0/1'] : ['::/1', '8000::/1'];
  return halves.map((text) => {
    const cidr = parseCidr(text);
    if (!cidr) throw new Error(`bad constant ${text}`);
    return cidr;
  });
}
