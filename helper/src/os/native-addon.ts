// Loads wirefly_native, the N-API addon in helper/native (TUN devices, batched
// UDP, route changes, the boot-time clock). Each platform module describes the part of it that it uses.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeClock } from './linux/clock.js';
import type { NativeNetlink } from './linux/netlink-watch.js';
import type { NativeRoute } from './linux/route-lookup.js';
import type { NativeTun } from './linux/tun.js';
import type { NativeUdpBinding } from './native-udp.js';
import type { NativeUdpProbe } from './linux/udp-probe.js';

/** An opaque object that only the addon can make and read. */
export type NativeHandle = object;

export interface NativeAddon {
  readonly tun: NativeTun;
  readonly udp: NativeUdpBinding;
  readonly netlink: NativeNetlink;
  readonly route: NativeRoute;
  readonly udpProbe: NativeUdpProbe;
  readonly clock: NativeClock;
}

/** A build for this platform first (the Windows one is cross-compiled, Makefile.mingw), else node-gyp's. */
const ADDON_PATHS = [
  join('helper', 'native', 'prebuilds', `${process.platform}-${process.arch}`, 'wirefly_native.node'),
  join('helper', 'native', 'build', 'Release', 'wirefly_native.node'),
];

let addon: NativeAddon | undefined;

/**
 * Loads the addon built by `npm ci`. The search walks up from this file because
 * it runs both from helper/src/os (tsx) and dist/helper/src/os.
 */
export function loadNativeAddon(): NativeAddon {
  if (addon) return addon;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = ADDON_PATHS.map((path) => join(dir, path)).find((path) => existsSync(path));
    if (candidate) {
      addon = createRequire(import.meta.url)(candidate) as NativeAddon;
      return addon;
    }
    if (dirname(dir) === dir) {
      throw new Error(
        `native addon not found: no ${ADDON_PATHS.join(' or ')} in ${start} or above it; build it with npm ci`,
      );
    }
  }
}
