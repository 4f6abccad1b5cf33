// What the helper hears from the system about its networks: route, address
// and link changes, and the boot-time clock that tells a resume from sleep.
// Each platform supplies its own.
import { linuxClock } from './linux/clock.js';
import { watchLinuxRouteChanges, type RouteChange, type RouteChangeWatch } from './linux/netlink-watch.js';
import { lookupLinuxRoute, type RouteAnswer } from './linux/route-lookup.js';
import { performance } from 'node:perf_hooks';
import type { IpAddress } from '../net/ip.js';

export type { RouteChange, RouteChangeKind, RouteChangeWatch } from './linux/netlink-watch.js';
export type { RouteAnswer } from './linux/route-lookup.js';

/** Which interface, and which source, the system would send a packet to `destination` by. Throws when it has no route. */
export function lookupRoute(destination: IpAddress, source: Uint8Array | undefined, mark: number): RouteAnswer {
  switch (process.platform) {
    case 'linux':
      return lookupLinuxRoute(destination, source, mark);
    default:
      throw new Error(`route lookups are not supported on ${process.platform} yet`);
  }
}

export function watchRouteChanges(
  onChanges: (changes: readonly RouteChange[]) => void,
  onError: (error: Error) => void,
): RouteChangeWatch {
  switch (process.platform) {
    case 'linux':
      return watchLinuxRouteChanges(onChanges, onError);
    default:
      // Not watched on this OS yet: tunnels wait for their timers, as before.
      return { close: () => {} };
  }
}

export interface SystemClocks {
  /** Milliseconds that go on while the machine sleeps (Linux CLOCK_BOOTTIME). */
  bootTime(): number;
  /** Milliseconds that stop while it sleeps, the clock Node's timers run on. */
  monotonicTime(): number;
}

export function systemClocks(): SystemClocks {
  switch (process.platform) {
    case 'linux':
      return linuxClock();
    default:
      // No boot-time clock read here yet: both are the monotonic clock, so no sleep is seen.
      return { bootTime: () => performance.now(), monotonicTime: () => performance.now() };
  }
}
