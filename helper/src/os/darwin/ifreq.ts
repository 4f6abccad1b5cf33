// An interface's MTU through ioctl on an ordinary socket, with struct ifreq
// (net/if.h: char ifr_name[IFNAMSIZ]; then a union whose int ifru_mtu is at
// offset 16; 32 bytes in all) and sys/sockio.h's requests:
//   SIOCSIFMTU _IOW('i', 52, struct ifreq), SIOCGIFMTU _IOWR('i', 51, struct ifreq).
import { IFNAMSIZ, iowr } from './kern-control.js';

export const IFREQ_SIZE = 32;
const MTU_OFFSET = IFNAMSIZ;

/** sys/ioccom.h: _IOW(group, num, type) = IOC_IN | (sizeof(type) & IOCPARM_MASK) << 16 | group << 8 | num. */
function iow(group: string, num: number, size: number): number {
  return ((iowr(group, num, size) & ~0xc0000000) | 0x80000000) >>> 0;
}

export const SIOCGIFMTU = iowr('i', 51, IFREQ_SIZE);
export const SIOCSIFMTU = iow('i', 52, IFREQ_SIZE);

export function encodeIfreq(into: Uint8Array, ifname: string, mtu = 0): void {
  const name = new TextEncoder().encode(ifname);
  if (name.length >= IFNAMSIZ) throw new RangeError(`interface name ${ifname} is too long`);
  into.fill(0, 0, IFREQ_SIZE);
  into.set(name, 0);
  new DataView(into.buffer, into.byteOffset, IFREQ_SIZE).setInt32(MTU_OFFSET, mtu, true);
}

export function decodeIfreqMtu(from: Uint8Array): number {
  return new DataView(from.buffer, from.byteOffset, IFREQ_SIZE).getInt32(MTU_OFFSET, true);
}
