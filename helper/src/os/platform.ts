// The factory: the one place that picks the running OS's implementations of
// the interfaces in this folder. Nothing above os/ asks process.platform.
import type { ControlEndpoint } from './control-endpoint.js';
import { darwinPlatform } from './darwin/index.js';
import { linuxPlatform } from './linux/index.js';
import { win32Platform } from './win32/index.js';
import type { NetworkApplier } from './network.js';
import type { ServiceInstaller, ServiceRuntime } from './service-installer.js';
import type { StateStore } from './state-store.js';
import type { TunDevice } from './tun.js';
import type { UdpHandler, UdpTransport } from './udp.js';

export interface Platform {
  readonly name: NodeJS.Platform;
  /** Opens (creating if needed) the TUN device `name`, already reading. */
  openTun(name: string): TunDevice;
  /** Binds IPv6 and IPv4 to `port` (0: a free port both get). Rejects with EADDRINUSE errors as is. */
  bindUdp(port: number, handler: UdpHandler): Promise<UdpTransport>;
  readonly network: NetworkApplier;
  readonly control: ControlEndpoint;
  readonly service: ServiceInstaller;
  /** Windows' service control manager; undefined where signals stop the helper. */
  readonly serviceRuntime?: ServiceRuntime;
  readonly store: StateStore;
  /** Who is at the screen, for a helper that serves the console user (macOS's SMAppService daemon); undefined elsewhere. */
  readonly consoleUid?: () => number | undefined;
  /**
   * macOS: why someone other than root could change the files of `executable
   * script`, which serve runs as root; undefined when nobody could. Absent
   * elsewhere: the deb installs root's files, and the Windows service is
   * installed only from a Program Files folder the user cannot write.
   */
  readonly codeLocationProblem?: (executable: string, script: string) => Promise<string | undefined>;
}

const PLATFORMS: Partial<Record<NodeJS.Platform, () => Platform>> = {
  linux: () => linuxPlatform(),
  darwin: () => darwinPlatform(),
  win32: () => win32Platform(),
};

/** The implementations for `name` (default: this OS); throws where none are written yet. */
export function platformFor(name: NodeJS.Platform = process.platform): Platform {
  const make = PLATFORMS[name];
  if (!make) throw new Error(`Wirefly's helper does not support ${name} yet`);
  return make();
}

let current: Platform | undefined;

/** This OS's implementations, made once. */
export function currentPlatform(): Platform {
  current ??= platformFor(process.platform);
  return current;
}
