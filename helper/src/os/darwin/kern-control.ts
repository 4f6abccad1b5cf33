// The kernel-control socket a utun is opened through, with the values of
// Apple's headers:
//   sys/socket.h       AF_SYSTEM (PF_SYSTEM) 32
//   sys/sys_domain.h   SYSPROTO_CONTROL 2, AF_SYS_CONTROL 2
//   sys/kern_control.h MAX_KCTL_NAME 96; struct ctl_info { u_int32_t ctl_id;
//                      char ctl_name[96]; }; struct sockaddr_ctl { u_char sc_len;
//                      u_char sc_family; u_int16_t ss_sysaddr; u_int32_t sc_id;
//                      u_int32_t sc_unit; u_int32_t sc_reserved[5]; };
//                      CTLIOCGINFO _IOWR('N', 3, struct ctl_info)
//   net/if_utun.h      UTUN_CONTROL_NAME "com.apple.net.utun_control", UTUN_OPT_IFNAME 2
// Both macOS architectures (x86-64, arm64) are little-endian, as the structs are laid out here.

export const PF_SYSTEM = 32;
export const SOCK_DGRAM = 2;
export const SYSPROTO_CONTROL = 2;
export const AF_SYS_CONTROL = 2;
export const MAX_KCTL_NAME = 96;
export const UTUN_CONTROL_NAME = 'com.apple.net.utun_control';
export const UTUN_OPT_IFNAME = 2;
/** IFNAMSIZ (net/if.h): interface names and their NUL fit in 16 bytes. */
export const IFNAMSIZ = 16;

export const CTL_INFO_SIZE = 4 + MAX_KCTL_NAME;
export const SOCKADDR_CTL_SIZE = 32;

/** sys/ioccom.h: _IOWR(group, num, type) = IOC_INOUT | (sizeof(type) & IOCPARM_MASK) << 16 | group << 8 | num. */
export function iowr(group: string, num: number, size: number): number {
  const IOC_INOUT = 0xc0000000;
  const IOCPARM_MASK = 0x1fff;
  return (IOC_INOUT | ((size & IOCPARM_MASK) << 16) | (group.charCodeAt(0) << 8) | num) >>> 0;
}

export const CTLIOCGINFO = iowr('N', 3, CTL_INFO_SIZE);

/** ctl_info asking for a control by name; the kernel fills in ctl_id. */
export function encodeCtlInfo(into: Uint8Array, name: string): void {
  const bytes = new TextEncoder().encode(name);
  if (bytes.length >= MAX_KCTL_NAME) throw new RangeError(`control name ${name} is too long`);
  into.fill(0, 0, CTL_INFO_SIZE);
  into.set(bytes, 4);
}

export function decodeCtlId(from: Uint8Array): number {
  return new DataView(from.buffer, from.byteOffset, CTL_INFO_SIZE).getUint32(0, true);
}

/** sockaddr_ctl for connect(): the control's id, and unit n + 1 for utun n (0: the first free one). */
export function encodeSockaddrCtl(into: Uint8Array, ctlId: number, unit: number): void {
  const view = new DataView(into.buffer, into.byteOffset, SOCKADDR_CTL_SIZE);
  into.fill(0, 0, SOCKADDR_CTL_SIZE);
  view.setUint8(0, SOCKADDR_CTL_SIZE);
  view.setUint8(1, PF_SYSTEM);
  view.setUint16(2, AF_SYS_CONTROL, true);
  view.setUint32(4, ctlId, true);
  view.setUint32(8, unit, true);
}

/** The sc_unit that asks for `name`: "utun" (any free one) or "utunN". */
export function utunUnitFor(name: string): number {
  if (name === '' || name === 'utun') return 0;
  const match = /^utun([0-9]{1,5})$/.exec(name);
  if (!match?.[1]) throw new RangeError(`macOS names tunnel interfaces utunN: "${name}" cannot be one`);
  return Number(match[1]) + 1;
}
