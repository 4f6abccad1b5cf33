// The doctor's one-datagram probe of an endpoint, through the addon (udp_probe_linux.c).
import { loadNativeAddon, type NativeHandle } from '../native-addon.js';
import type { Endpoint } from '../../net/ip.js';

export interface NativeUdpProbe {
  open(address: Uint8Array, port: number, mark: number): NativeHandle;
  /** 0, or the errno an ICMP error left on the socket. */
  result(handle: NativeHandle): number;
  close(handle: NativeHandle): void;
}

/** How long a host's ICMP error is waited for. */
const LISTEN_MS = 1_500;

const ERRNO_NAMES: Readonly<Record<number, string>> = {
  111: 'ECONNREFUSED',
  113: 'EHOSTUNREACH',
  101: 'ENETUNREACH',
  13: 'EACCES',
  1: 'EPERM',
  90: 'EMSGSIZE',
};

/** Sends one byte to the endpoint under `mark`; resolves with the errno code an ICMP error made, or undefined for none. */
export async function probeLinuxUdp(endpoint: Endpoint, mark: number): Promise<string | undefined> {
  const native = loadNativeAddon().udpProbe;
  let handle: NativeHandle;
  try {
    handle = native.open(endpoint.bytes, endpoint.port, mark);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
  try {
    await new Promise((resolve) => setTimeout(resolve, LISTEN_MS));
    const errno = native.result(handle);
    return errno === 0 ? undefined : (ERRNO_NAMES[errno] ?? `errno ${errno}`);
  } finally {
    native.close(handle);
  }
}
