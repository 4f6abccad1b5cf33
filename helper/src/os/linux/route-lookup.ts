// `ip route get` without a process: the addon's RTM_GETROUTE request (route_linux.c).
import { loadNativeAddon } from '../native-addon.js';
import type { IpAddress } from '../../net/ip.js';

export interface RouteAnswer {
  readonly interfaceIndex: number;
  /** The source address the kernel would pick, when it says. */
  readonly source?: Uint8Array;
}

export interface NativeRoute {
  get(destination: Uint8Array, source: Uint8Array | null, mark: number): RouteAnswer;
}

/** Throws the kernel's errno (ENETUNREACH, EHOSTUNREACH, EINVAL for a source that is not ours) as a Node-style error. */
export function lookupLinuxRoute(destination: IpAddress, source: Uint8Array | undefined, mark: number): RouteAnswer {
  return loadNativeAddon().route.get(destination.bytes, source ?? null, mark);
}
