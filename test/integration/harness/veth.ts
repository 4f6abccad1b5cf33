// A veth pair joining two namespaces: the "outer" network that WireGuard's UDP
// runs over, with an IPv4 and an IPv6 address on each end.
import type { Namespace } from './namespace.js';

export interface VethEnd {
  readonly ns: Namespace;
  readonly device: string;
  /** Addresses without prefix length; the end may move to another (roaming). */
  v4: string;
  v6: string;
}

export interface VethLink {
  readonly a: VethEnd;
  readonly b: VethEnd;
}

/** Linux's default for veth, made explicit because tests reason about packet sizes. */
export const VETH_MTU = 1500;
const V4_PREFIX = 24;
const V6_PREFIX = 64;

/** Link number n gets 10.99.n.0/24 and fd99:0:0:n::/64; ends are .1/::1 and .2/::2. */
export async function createVethLink(a: Namespace, b: Namespace, n: number): Promise<VethLink> {
  if (n < 1 || n > 254) throw new Error(`veth link number ${n} out of range`);
  const device = `veth${n}`;
  await a.exec('ip', ['link', 'add', device, 'type', 'veth', 'peer', 'name', device, 'netns', b.name]);
  const link: VethLink = {
    a: { ns: a, device, v4: `10.99.${n}.1`, v6: `fd99:0:0:${n}::1` },
    b: { ns: b, device, v4: `10.99.${n}.2`, v6: `fd99:0:0:${n}::2` },
  };
  for (const end of [link.a, link.b]) {
    await addAddress(end, end.v4);
    await addAddress(end, end.v6);
    await end.ns.exec('ip', ['link', 'set', end.device, 'mtu', String(VETH_MTU), 'up']);
  }
  return link;
}

function isV6(address: string): boolean {
  return address.includes(':');
}

/** Adds an address to the end, beside those it has. */
export async function addAddress(end: VethEnd, address: string): Promise<void> {
  const args = isV6(address)
    ? // nodad: usable at once instead of after duplicate address detection.
      ['addr', 'add', `${address}/${V6_PREFIX}`, 'dev', end.device, 'nodad']
    : ['addr', 'add', `${address}/${V4_PREFIX}`, 'dev', end.device];
  await end.ns.exec('ip', args);
}

/** Moves an end to a new address in the same subnet: the new one is added before the old one goes. */
export async function moveAddress(end: VethEnd, newAddress: string): Promise<void> {
  const v6 = isV6(newAddress);
  const old = v6 ? end.v6 : end.v4;
  await addAddress(end, newAddress);
  await end.ns.exec('ip', ['addr', 'del', `${old}/${v6 ? V6_PREFIX : V4_PREFIX}`, 'dev', end.device]);
  if (v6) end.v6 = newAddress;
  else end.v4 = newAddress;
}
