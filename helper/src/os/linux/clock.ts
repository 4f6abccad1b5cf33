// CLOCK_BOOTTIME through the addon (clock_linux.c): Node's clocks are all
// CLOCK_MONOTONIC, which stops while the machine sleeps.
import { loadNativeAddon } from '../native-addon.js';

export interface NativeClock {
  /** CLOCK_BOOTTIME in milliseconds. */
  bootTime(): number;
  /** CLOCK_MONOTONIC in milliseconds, the clock libuv's timers run on. */
  monotonicTime(): number;
}

export function linuxClock(): NativeClock {
  return loadNativeAddon().clock;
}
