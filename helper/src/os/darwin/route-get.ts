// Reading macOS's routing table one question at a time: `route -n get`,
// whose answer names the route's gateway, interface and flags.
import { formatIpAddress, type IpAddress, type IpFamily } from '../../net/ip.js';
import { CommandFailed } from '../command.js';
import type { DarwinCommandRunner } from './binding.js';
import { familyOption } from './undo-steps.js';

export interface RouteAnswer {
  readonly destination?: string;
  /** Absent for a route straight onto an interface (a point-to-point uplink). */
  readonly gateway?: string;
  readonly interface?: string;
  readonly flags: readonly string[];
}

/**
 *    route to: default
 * destination: default
 *     gateway: 192.168.1.1
 *   interface: en0
 *       flags: <UP,GATEWAY,DONE,STATIC,PRCLONING>
 */
export function parseRouteGet(text: string): RouteAnswer {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\s*([a-z ]+):\s*(.*?)\s*$/.exec(line);
    if (match?.[1] && match[2] !== undefined) fields.set(match[1].trim(), match[2]);
  }
  const gateway = fields.get('gateway');
  const flags = /^<(.*)>$/.exec(fields.get('flags') ?? '')?.[1]?.split(',') ?? [];
  return {
    ...(fields.has('destination') ? { destination: fields.get('destination') } : {}),
    // "link#5": the route leads onto an interface, not to a router.
    ...(gateway !== undefined && !gateway.startsWith('link#') ? { gateway } : {}),
    ...(fields.has('interface') ? { interface: fields.get('interface') } : {}),
    flags,
  };
}

/** The route `destination` takes now; undefined when there is none ("not in table"). */
export async function routeGet(
  run: DarwinCommandRunner,
  family: IpFamily,
  destination: IpAddress | 'default',
): Promise<RouteAnswer | undefined> {
  const target = destination === 'default' ? 'default' : formatIpAddress(destination);
  try {
    return parseRouteGet((await run(['route', '-n', 'get', familyOption(family), target])).stdout);
  } catch (error) {
    if (error instanceof CommandFailed) return undefined;
    throw error;
  }
}
