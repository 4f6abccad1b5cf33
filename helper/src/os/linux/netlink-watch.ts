// Route, address and link changes as the kernel announces them on its
// rtnetlink multicast groups, through the addon (netlink_linux.c). A socket of
// our own rather than a child `ip monitor`: no process to supervise and
// restart, no text to parse, and the addon already holds the helper's other
// sockets.
import { loadNativeAddon, type NativeHandle } from '../native-addon.js';

export interface NativeNetlink {
  open(onChange: (pairs: Uint32Array) => void, onError: (error: Error) => void): NativeHandle;
  close(handle: NativeHandle): void;
  interfaceName(index: number): string | undefined;
}

export type RouteChangeKind = 'link' | 'address' | 'route' | 'lost';

export interface RouteChange {
  readonly kind: RouteChangeKind;
  /** The interface the change is about, as it is named now; undefined for one that is gone or a route without one. */
  readonly interfaceName: string | undefined;
}

export interface RouteChangeWatch {
  close(): void;
}

const KINDS: readonly (RouteChangeKind | undefined)[] = [undefined, 'link', 'address', 'route', 'lost'];

function decode(native: NativeNetlink, pairs: Uint32Array): RouteChange[] {
  const changes: RouteChange[] = [];
  const names = new Map<number, string | undefined>();
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const kind = KINDS[pairs[i]!];
    if (!kind) continue;
    const index = pairs[i + 1]!;
    if (!names.has(index)) names.set(index, native.interfaceName(index));
    changes.push({ kind, interfaceName: names.get(index) });
  }
  return changes;
}

/** Calls `onChanges` with each wake-up's changes. The watch does not keep the process alive. */
export function watchLinuxRouteChanges(
  onChanges: (changes: readonly RouteChange[]) => void,
  onError: (error: Error) => void,
): RouteChangeWatch {
  const native = loadNativeAddon().netlink;
  const handle = native.open((pairs) => onChanges(decode(native, pairs)), onError);
  return { close: () => native.close(handle) };
}
