// The structs and constants the macOS code hands to libSystem, against Apple's
// headers. Each struct is declared a second time here with koffi, field by
// field with the types the header gives, so that koffi's C layout (the one the
// real calls use) and the TypeScript encoders must agree byte for byte.
// Headers (macOS SDK / XNU):
//   sys/socket.h        AF_INET 2, AF_INET6 30, AF_SYSTEM 32; struct msghdr; struct cmsghdr,
//                       CMSG_DATA/CMSG_SPACE aligned to 4 (__DARWIN_ALIGN32)
//   sys/sys_domain.h    SYSPROTO_CONTROL 2, AF_SYS_CONTROL 2
//   sys/kern_control.h  MAX_KCTL_NAME 96, struct ctl_info, struct sockaddr_ctl,
//                       CTLIOCGINFO _IOWR('N', 3, struct ctl_info)
//   net/if_utun.h       UTUN_CONTROL_NAME "com.apple.net.utun_control", UTUN_OPT_IFNAME 2
//   sys/ioccom.h        _IOWR = IOC_INOUT 0xc0000000 | (size & 0x1fff) << 16 | group << 8 | num; _IOW: IOC_IN 0x80000000
//   sys/sockio.h        SIOCGIFMTU _IOWR('i', 51, struct ifreq), SIOCSIFMTU _IOW('i', 52, struct ifreq)
//   net/if.h            IFNAMSIZ 16, struct ifreq (name, then a 16-byte union holding ifru_mtu)
//   netinet/in.h        struct sockaddr_in (sin_len first), struct in_pktinfo, IP_PKTINFO 26
//   netinet6/in6.h      struct sockaddr_in6, struct in6_pktinfo, IPV6_V6ONLY 27,
//                       IPV6_RECVPKTINFO 61 and IPV6_PKTINFO 46 (__APPLE_USE_RFC_3542)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { AF_HEADER_SIZE, afHeaderFor, familyOfAfHeader } from '../../helper/src/os/darwin/af-header.js';
import { decodeIfreqMtu, encodeIfreq, IFREQ_SIZE, SIOCGIFMTU, SIOCSIFMTU } from '../../helper/src/os/darwin/ifreq.js';
import {
  AF_SYS_CONTROL,
  CTL_INFO_SIZE,
  CTLIOCGINFO,
  decodeCtlId,
  encodeCtlInfo,
  encodeSockaddrCtl,
  MAX_KCTL_NAME,
  PF_SYSTEM,
  SOCKADDR_CTL_SIZE,
  SYSPROTO_CONTROL,
  UTUN_CONTROL_NAME,
  UTUN_OPT_IFNAME,
  utunUnitFor,
} from '../../helper/src/os/darwin/kern-control.js';
import {
  cmsgSpace,
  decodeMsghdr,
  decodeSockaddr,
  encodeIovec,
  encodeMsghdr,
  encodeSockaddr,
  encodeSourceInfo,
  findPacketInfo,
  IN6_PKTINFO_SIZE,
  IN_PKTINFO_SIZE,
  IP_PKTINFO,
  IPV6_PKTINFO,
  IPV6_RECVPKTINFO,
  IPV6_V6ONLY,
  MSGHDR_SIZE,
  SOCKADDR_IN6_SIZE,
  SOCKADDR_IN_SIZE,
} from '../../helper/src/os/darwin/socket-layout.js';

const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');

const ctlInfo = koffi.struct('darwin_ctl_info', { ctl_id: 'uint32_t', ctl_name: koffi.array('char', 96, 'Array') });
const sockaddrCtl = koffi.struct('darwin_sockaddr_ctl', {
  sc_len: 'uint8_t',
  sc_family: 'uint8_t',
  ss_sysaddr: 'uint16_t',
  sc_id: 'uint32_t',
  sc_unit: 'uint32_t',
  sc_reserved: koffi.array('uint32_t', 5, 'Array'),
});
const ifreqMtu = koffi.struct('darwin_ifreq_mtu', {
  ifr_name: koffi.array('char', 16, 'Array'),
  ifr_mtu: 'int',
  rest_of_union: koffi.array('uint8_t', 12, 'Array'),
});
const sockaddrIn = koffi.struct('darwin_sockaddr_in', {
  sin_len: 'uint8_t',
  sin_family: 'uint8_t',
  sin_port: 'uint16_t',
  sin_addr: koffi.array('uint8_t', 4, 'Array'),
  sin_zero: koffi.array('uint8_t', 8, 'Array'),
});
const sockaddrIn6 = koffi.struct('darwin_sockaddr_in6', {
  sin6_len: 'uint8_t',
  sin6_family: 'uint8_t',
  sin6_port: 'uint16_t',
  sin6_flowinfo: 'uint32_t',
  sin6_addr: koffi.array('uint8_t', 16, 'Array'),
  sin6_scope_id: 'uint32_t',
});
const msghdr = koffi.struct('darwin_msghdr', {
  msg_name: 'void *',
  msg_namelen: 'uint32_t',
  msg_iov: 'void *',
  msg_iovlen: 'int',
  msg_control: 'void *',
  msg_controllen: 'uint32_t',
  msg_flags: 'int',
});
/** The same fields with pointers as 64-bit integers (same size and alignment on LP64), so that koffi can encode values. */
const msghdrValues = koffi.struct('darwin_msghdr_values', {
  msg_name: 'uint64_t',
  msg_namelen: 'uint32_t',
  msg_iov: 'uint64_t',
  msg_iovlen: 'int',
  msg_control: 'uint64_t',
  msg_controllen: 'uint32_t',
  msg_flags: 'int',
});
const iovec = koffi.struct('darwin_iovec', { iov_base: 'uint64_t', iov_len: 'uint64_t' });
const cmsghdr = koffi.struct('darwin_cmsghdr', { cmsg_len: 'uint32_t', cmsg_level: 'int', cmsg_type: 'int' });
const inPktinfo = koffi.struct('darwin_in_pktinfo', {
  ipi_ifindex: 'unsigned int',
  ipi_spec_dst: koffi.array('uint8_t', 4, 'Array'),
  ipi_addr: koffi.array('uint8_t', 4, 'Array'),
});
const in6Pktinfo = koffi.struct('darwin_in6_pktinfo', {
  ipi6_addr: koffi.array('uint8_t', 16, 'Array'),
  ipi6_ifindex: 'unsigned int',
});

function encoded(type: unknown, value: unknown): Uint8Array {
  const buffer = Buffer.alloc(koffi.sizeof(type as never));
  koffi.encode(buffer, type as never, value);
  return new Uint8Array(buffer);
}

test('kernel control: the constants of sys/socket.h, sys/sys_domain.h, sys/kern_control.h and net/if_utun.h', () => {
  assert.equal(PF_SYSTEM, 32);
  assert.equal(SYSPROTO_CONTROL, 2);
  assert.equal(AF_SYS_CONTROL, 2);
  assert.equal(MAX_KCTL_NAME, 96);
  assert.equal(UTUN_CONTROL_NAME, 'com.apple.net.utun_control');
  assert.equal(UTUN_OPT_IFNAME, 2);
  // _IOWR('N', 3, struct ctl_info): 0xc0000000 | 100 << 16 | 0x4e << 8 | 3.
  assert.equal(CTLIOCGINFO, 0xc0644e03);
});

test('struct ctl_info: 100 bytes, ctl_id then the NUL-terminated name, as koffi lays it out from the header', () => {
  assert.equal(koffi.sizeof(ctlInfo), CTL_INFO_SIZE);
  assert.equal(koffi.offsetof(ctlInfo, 'ctl_name'), 4);
  const ours = new Uint8Array(CTL_INFO_SIZE).fill(0xaa);
  encodeCtlInfo(ours, UTUN_CONTROL_NAME);
  const name = [...new TextEncoder().encode(UTUN_CONTROL_NAME)];
  assert.deepEqual(ours, encoded(ctlInfo, { ctl_id: 0, ctl_name: [...name, ...new Array(96 - name.length).fill(0)] }));
  // The kernel writes the id back in host order (little-endian on both Mac architectures).
  ours.set([0x17, 0x5a, 0, 0], 0);
  assert.equal(decodeCtlId(ours), 0x5a17);
  assert.throws(() => encodeCtlInfo(ours, 'x'.repeat(96)), RangeError);
});

test('struct sockaddr_ctl: 32 bytes, sc_len and AF_SYSTEM, AF_SYS_CONTROL, the id and the unit', () => {
  assert.equal(koffi.sizeof(sockaddrCtl), SOCKADDR_CTL_SIZE);
  assert.deepEqual(
    ['sc_family', 'ss_sysaddr', 'sc_id', 'sc_unit', 'sc_reserved'].map((field) => koffi.offsetof(sockaddrCtl, field)),
    [1, 2, 4, 8, 12],
  );
  const ours = new Uint8Array(SOCKADDR_CTL_SIZE).fill(0xaa);
  encodeSockaddrCtl(ours, 0x5a17, 5);
  assert.deepEqual(
    ours,
    encoded(sockaddrCtl, {
      sc_len: 32,
      sc_family: 32,
      ss_sysaddr: 2,
      sc_id: 0x5a17,
      sc_unit: 5,
      sc_reserved: [0, 0, 0, 0, 0],
    }),
  );
});

test('the utun unit: 0 asks for the first free one, utunN is unit N + 1; other names cannot be asked for', () => {
  assert.equal(utunUnitFor('utun'), 0);
  assert.equal(utunUnitFor(''), 0);
  assert.equal(utunUnitFor('utun0'), 1);
  assert.equal(utunUnitFor('utun12'), 13);
  for (const name of ['wg0', 'utun-1', 'utunx', 'tun0']) assert.throws(() => utunUnitFor(name), RangeError, name);
});

test('struct ifreq for the MTU: the name, then ifru_mtu at 16, 32 bytes; SIOCGIFMTU and SIOCSIFMTU', () => {
  assert.equal(koffi.sizeof(ifreqMtu), IFREQ_SIZE);
  assert.equal(koffi.offsetof(ifreqMtu, 'ifr_mtu'), 16);
  assert.equal(SIOCGIFMTU, 0xc0206933);
  assert.equal(SIOCSIFMTU, 0x80206934);
  const ours = new Uint8Array(IFREQ_SIZE).fill(0xaa);
  encodeIfreq(ours, 'utun4', 1380);
  const name = [...new TextEncoder().encode('utun4')];
  assert.deepEqual(
    ours,
    encoded(ifreqMtu, {
      ifr_name: [...name, ...new Array(16 - name.length).fill(0)],
      ifr_mtu: 1380,
      rest_of_union: new Array(12).fill(0),
    }),
  );
  assert.equal(decodeIfreqMtu(ours), 1380);
  assert.throws(() => encodeIfreq(ours, 'a-name-too-long-'), RangeError);
});

test('the 4-byte AF header: the family in network order, both ways', () => {
  assert.equal(AF_HEADER_SIZE, 4);
  assert.deepEqual(afHeaderFor(new Uint8Array([0x45, 0, 0, 20])), new Uint8Array([0, 0, 0, 2]));
  assert.deepEqual(afHeaderFor(new Uint8Array([0x60, 0, 0, 0])), new Uint8Array([0, 0, 0, 30]));
  assert.equal(afHeaderFor(new Uint8Array([0x10])), undefined);
  assert.equal(afHeaderFor(new Uint8Array(0)), undefined);
  assert.equal(familyOfAfHeader(new Uint8Array([0, 0, 0, 2])), 4);
  assert.equal(familyOfAfHeader(new Uint8Array([0, 0, 0, 30])), 6);
  // In host order it would be another family: the header is big-endian.
  assert.equal(familyOfAfHeader(new Uint8Array([2, 0, 0, 0])), undefined);
  assert.equal(familyOfAfHeader(new Uint8Array([0, 0, 2])), undefined);
});

test('sockaddr_in and sockaddr_in6: the length byte first, the family, the port in network order', () => {
  assert.equal(koffi.sizeof(sockaddrIn), SOCKADDR_IN_SIZE);
  assert.equal(koffi.sizeof(sockaddrIn6), SOCKADDR_IN6_SIZE);
  assert.equal(koffi.offsetof(sockaddrIn6, 'sin6_addr'), 8);
  const v4 = new Uint8Array(16).fill(0xaa);
  assert.equal(encodeSockaddr(v4, 4, new Uint8Array([198, 51, 100, 1]), 51820), 16);
  assert.deepEqual(
    v4,
    encoded(sockaddrIn, {
      sin_len: 16,
      sin_family: 2,
      sin_port: 0x6cca,
      sin_addr: [198, 51, 100, 1],
      sin_zero: new Array(8).fill(0),
    }),
  );
  const address6 = new Uint8Array(16).map((_, i) => i + 1);
  const v6 = new Uint8Array(28).fill(0xaa);
  assert.equal(encodeSockaddr(v6, 6, address6, 443), 28);
  assert.deepEqual(
    v6,
    encoded(sockaddrIn6, {
      sin6_len: 28,
      sin6_family: 30,
      sin6_port: 0xbb01,
      sin6_flowinfo: 0,
      sin6_addr: [...address6],
      sin6_scope_id: 0,
    }),
  );
  assert.deepEqual(decodeSockaddr(v4), { family: 4, address: new Uint8Array([198, 51, 100, 1]), port: 51820 });
  assert.deepEqual(decodeSockaddr(v6), { family: 6, address: address6, port: 443 });
  assert.equal(decodeSockaddr(new Uint8Array(16)), undefined);
});

test('struct msghdr and struct iovec on LP64: 48 and 16 bytes, as koffi lays them out', () => {
  assert.equal(koffi.sizeof(msghdr), MSGHDR_SIZE);
  assert.deepEqual(
    ['msg_namelen', 'msg_iov', 'msg_iovlen', 'msg_control', 'msg_controllen', 'msg_flags'].map((field) =>
      koffi.offsetof(msghdr, field),
    ),
    [8, 16, 24, 32, 40, 44],
  );
  const ours = new Uint8Array(MSGHDR_SIZE).fill(0xaa);
  encodeMsghdr(ours, { name: 0x10000n, nameLength: 28, iov: 0x10030n, control: 0x10040n, controlLength: 64 });
  assert.deepEqual(
    ours,
    encoded(msghdrValues, {
      msg_name: 0x10000n,
      msg_namelen: 28,
      msg_iov: 0x10030n,
      msg_iovlen: 1,
      msg_control: 0x10040n,
      msg_controllen: 64,
      msg_flags: 0,
    }),
  );
  ours.set([0x10, 0, 0, 0], 44);
  assert.deepEqual(decodeMsghdr(ours), { nameLength: 28, controlLength: 64, flags: 0x10 });
  const vector = new Uint8Array(16);
  encodeIovec(vector, 0x20000n, 1500);
  assert.deepEqual(vector, encoded(iovec, { iov_base: 0x20000n, iov_len: 1500n }));
});

test('control messages: IP_PKTINFO and IPV6_PKTINFO, their cmsghdr of 12 bytes and data aligned to 4', () => {
  assert.equal(koffi.sizeof(cmsghdr), 12);
  assert.equal(koffi.sizeof(inPktinfo), IN_PKTINFO_SIZE);
  assert.equal(koffi.sizeof(in6Pktinfo), IN6_PKTINFO_SIZE);
  assert.deepEqual([IP_PKTINFO, IPV6_V6ONLY, IPV6_RECVPKTINFO, IPV6_PKTINFO], [26, 27, 61, 46]);
  assert.equal(cmsgSpace(IN_PKTINFO_SIZE), 24);
  assert.equal(cmsgSpace(IN6_PKTINFO_SIZE), 32);
  // Sending from 192.0.2.1: ipi_spec_dst is the source, no interface.
  const v4 = new Uint8Array(24).fill(0xaa);
  assert.equal(encodeSourceInfo(v4, 4, new Uint8Array([192, 0, 2, 1]), 7), 24);
  assert.deepEqual(v4.subarray(0, 12), encoded(cmsghdr, { cmsg_len: 24, cmsg_level: 0, cmsg_type: 26 }));
  assert.deepEqual(
    v4.subarray(12),
    encoded(inPktinfo, { ipi_ifindex: 0, ipi_spec_dst: [192, 0, 2, 1], ipi_addr: [0, 0, 0, 0] }),
  );
  const local6 = new Uint8Array(16).map((_, i) => 0x20 + i);
  const v6 = new Uint8Array(32).fill(0xaa);
  assert.equal(encodeSourceInfo(v6, 6, local6, 7), 32);
  assert.deepEqual(v6.subarray(0, 12), encoded(cmsghdr, { cmsg_len: 32, cmsg_level: 41, cmsg_type: 46 }));
  assert.deepEqual(v6.subarray(12), encoded(in6Pktinfo, { ipi6_addr: [...local6], ipi6_ifindex: 7 }));
  // Received: another message first (IP_RECVTTL, 1 byte of data, padded to 4), then the packet info.
  const received = new Uint8Array(64);
  received.set(encoded(cmsghdr, { cmsg_len: 13, cmsg_level: 0, cmsg_type: 24 }), 0);
  received[12] = 64;
  received.set(encoded(cmsghdr, { cmsg_len: 24, cmsg_level: 0, cmsg_type: 26 }), 16);
  received.set(encoded(inPktinfo, { ipi_ifindex: 4, ipi_spec_dst: [192, 0, 2, 1], ipi_addr: [192, 0, 2, 9] }), 28);
  assert.deepEqual(findPacketInfo(received, 40), { localAddress: new Uint8Array([192, 0, 2, 9]), interfaceIndex: 4 });
  assert.equal(findPacketInfo(received, 16), undefined, 'a length that ends before the packet info');
  assert.deepEqual(findPacketInfo(v6, 32), { localAddress: local6, interfaceIndex: 7 });
  const corrupt = new Uint8Array(24);
  corrupt.set(encoded(cmsghdr, { cmsg_len: 200, cmsg_level: 0, cmsg_type: 26 }));
  assert.equal(findPacketInfo(corrupt, 24), undefined, 'a cmsg_len past the end is not read');
});
