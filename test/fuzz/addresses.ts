// Addresses and networks in every text form inet_pton reads, each with the
// bytes it means: for the config and control-socket generators, and near misses
// of them for the checks against Node's own address parser.
import type { Cidr, IpAddress } from '../../helper/src/net/ip.js';
import { EDGE_NUMBERS } from './mutate.js';
import type { Random } from './random.js';

export interface Rendered<T> {
  readonly value: T;
  readonly text: string;
}

function hexGroup(random: Random, group: number): string {
  const digits = group.toString(16).padStart(random.chance(0.1) ? random.int(1, 4) : 1, '0');
  return random.chance(0.2) ? digits.toUpperCase() : digits;
}

function ipv4Bytes(random: Random): Uint8Array {
  return random.weighted<() => Uint8Array>([
    [6, () => random.bytes(4)],
    [2, () => Uint8Array.of(10, random.int(0, 255), random.int(0, 255), random.int(0, 255))],
    [1, () => Uint8Array.of(192, 168, random.int(0, 255), random.int(0, 255))],
    [1, () => new Uint8Array(4)],
    [1, () => new Uint8Array(4).fill(255)],
  ])();
}

export function ipv4(random: Random): Rendered<IpAddress> {
  const bytes = ipv4Bytes(random);
  return { value: { family: 4, bytes }, text: [...bytes].join('.') };
}

function ipv6Groups(random: Random): number[] {
  return random.weighted<() => number[]>([
    [
      5,
      () =>
        Array.from({ length: 8 }, () =>
          random.chance(0.35) ? 0 : random.chance(0.5) ? random.int(0, 0xff) : random.int(0, 0xffff),
        ),
    ],
    [2, () => [0xfd00, random.int(0, 0xffff), 0, 0, 0, 0, 0, random.int(1, 0xffff)]],
    [1, () => [0, 0, 0, 0, 0, 0, 0, random.int(0, 1)]],
    [1, () => [0, 0, 0, 0, 0, 0xffff, random.int(0, 0xffff), random.int(0, 0xffff)]],
  ])();
}

/** Every text form inet_pton reads: any run of zero groups may be '::', groups may have leading zeros and capitals, the last 32 bits may be dotted. */
export function ipv6(random: Random): Rendered<IpAddress> {
  const groups = ipv6Groups(random);
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  const dotted = random.chance(groups[5] === 0xffff ? 0.7 : 0.1);
  const units = dotted ? 6 : 8;
  const runs: [number, number][] = [];
  for (let i = 0; i < units; i++) {
    if (groups[i] !== 0) continue;
    let end = i;
    while (end < units && groups[end] === 0) end++;
    for (let start = i; start < end; start++) runs.push([start, random.int(start + 1, end)]);
    i = end;
  }
  const written = groups.slice(0, units).map((group) => hexGroup(random, group));
  if (dotted) written.push([...bytes.subarray(12)].join('.'));
  let text = written.join(':');
  if (runs.length > 0 && random.chance(0.85)) {
    const [start, end] = random.pick(runs);
    text = `${written.slice(0, start).join(':')}::${written.slice(end).join(':')}`;
  }
  return { value: { family: 6, bytes }, text };
}

export function ipAddress(random: Random): Rendered<IpAddress> {
  return random.chance(0.55) ? ipv4(random) : ipv6(random);
}

/** An address or network; a bare address is a host network. */
export function cidr(random: Random, address: Rendered<IpAddress> = ipAddress(random)): Rendered<Cidr> {
  const max = address.value.family === 4 ? 32 : 128;
  if (random.chance(0.2)) return { value: { ...address.value, prefix: max }, text: address.text };
  const prefix = random.weighted<() => number>([
    [4, () => random.int(0, max)],
    [1, () => 0],
    [1, () => max],
    [1, () => (max === 32 ? 24 : 64)],
  ])();
  return { value: { ...address.value, prefix }, text: `${address.text}/${prefix}` };
}

/** Texts of single addresses, most of them valid, the rest near misses, for the check against Node's parser. */
export function addressLikeText(random: Random): string {
  const address = ipAddress(random).text;
  return random.weighted<() => string>([
    [4, () => address],
    [1, () => `${address}${random.pick([':', '::', '.', ':1', '.1', '%eth0', ' '])}`],
    [1, () => `${random.pick(['::', ':', '1.2.3.4::', '1.2.3.4:', '0', '00'])}${address}`],
    [1, () => address.replace(/[0-9a-f]/i, random.pick(['', 'g', '00000', '256', '-', ':']))],
    [1, () => address.replace(/[.:]/, random.pick(['', '..', ':::', '.:', ':.']))],
    [1, () => `${ipv4(random).text}::${random.pick(['', '1', 'ffff'])}`],
    [1, () => random.pick(EDGE_NUMBERS)],
  ])();
}
