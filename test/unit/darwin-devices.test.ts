// The macOS utun and UDP transport over the fake Mac's system calls: how a
// utun is opened (the calls and their order), packets in batches with the AF
// header stripped and added, the MTU, pause and close; UDP bound on one port
// for both families, batches received with their sticky source, replies sent
// from it, a vanished source address reported once and routed around.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darwinPlatform } from '../../helper/src/os/darwin/index.js';
import { platformFor } from '../../helper/src/os/platform.js';
import type { PacketBatch } from '../../helper/src/os/tun.js';
import type { DatagramBatch } from '../../helper/src/os/udp.js';
import type { Endpoint } from '../../helper/src/net/ip.js';
import { FakeMac } from './support/darwin-fake.js';

const ipv4 = (id: number) =>
  new Uint8Array([0x45, 0, 0, 24, 0, id, 0, 0, 64, 17, 0, 0, 10, 9, 0, 2, 10, 9, 0, 1, 1, 2, 3, id]);
const ipv6 = (id: number) => {
  const packet = new Uint8Array(48);
  packet[0] = 0x60;
  packet[47] = id;
  return packet;
};
const withHeader = (family: number, packet: Uint8Array) => new Uint8Array([0, 0, 0, family, ...packet]);

test('the factory gives macOS its own platform', () => {
  assert.equal(platformFor('darwin').name, 'darwin');
});

test('a utun: socket, CTLIOCGINFO, connect to the first free unit, its name, non-blocking and closed in children', () => {
  const mac = new FakeMac();
  mac.interfaces.set('utun0', { mtu: 1380, up: true, addresses: [] });
  const tun = darwinPlatform(mac).openTun('wg0');
  assert.equal(tun.name, 'utun1');
  const fd = mac.fdOf((socket) => socket.utun === 'utun1');
  assert.deepEqual(mac.syscalls.slice(0, 4), [
    `socket 32 2 2`,
    `ioctl ${fd} 0xc0644e03`,
    `connect ${fd} 32`,
    `getsockopt ${fd} 2 2`,
  ]);
  const socket = mac.sockets.get(fd)!;
  assert.equal(socket.nonBlocking, true);
  assert.equal(socket.cloexec, true);
  assert.ok(mac.isWatched(fd));
  tun.close();
  assert.equal(socket.closed, true);
  assert.equal(mac.interfaces.has('utun1'), false, 'closing the control socket takes the utun away');
});

test('a utun asked for by unit: utun7 is unit 8; a unit in use is refused with EBUSY and nothing left open', () => {
  const mac = new FakeMac();
  const platform = darwinPlatform(mac);
  const tun = platform.openTun('utun7');
  assert.equal(tun.name, 'utun7');
  assert.throws(() => platform.openTun('utun7'), { code: 'EBUSY', syscall: 'connect' });
  assert.equal(
    [...mac.sockets.values()].filter((socket) => !socket.closed).length,
    2,
    'the first utun and its ioctl socket',
  );
  tun.close();
  assert.equal([...mac.sockets.values()].filter((socket) => !socket.closed).length, 0);
  assert.equal(mac.freed, 5, "both openings' scratch memory, then the device's read, write and ifreq buffers");
});

test('reads: one batch per wake-up, the AF header stripped, unknown families dropped, drained until EAGAIN', () => {
  const mac = new FakeMac();
  const tun = darwinPlatform(mac).openTun('utun');
  const batches: Uint8Array[][] = [];
  tun.onPackets((batch: PacketBatch) => {
    batches.push(Array.from({ length: batch.count }, (_, i) => batch.packet(i).slice()));
  });
  mac.queueUtun(tun.name, [
    withHeader(2, ipv4(1)),
    withHeader(30, ipv6(2)),
    withHeader(17, ipv4(3)),
    new Uint8Array([0, 0, 0, 2]),
    withHeader(2, ipv4(4)),
  ]);
  mac.wake(mac.fdOf((socket) => socket.utun === tun.name));
  assert.deepEqual(batches, [[ipv4(1), ipv6(2), ipv4(4)]]);
  mac.wake(mac.fdOf((socket) => socket.utun === tun.name));
  assert.equal(batches.length, 1, 'an empty wake-up delivers nothing');
  const many = Array.from({ length: 300 }, (_, i) => withHeader(2, ipv4(i % 250)));
  mac.queueUtun(tun.name, many);
  mac.wake(mac.fdOf((socket) => socket.utun === tun.name));
  mac.wake(mac.fdOf((socket) => socket.utun === tun.name));
  mac.wake(mac.fdOf((socket) => socket.utun === tun.name));
  assert.deepEqual(
    batches.slice(1).map((batch) => batch.length),
    [128, 128, 44],
  );
  tun.close();
});

test('writes: each packet behind the header of its family; what is no IP packet is not written', () => {
  const mac = new FakeMac();
  const tun = darwinPlatform(mac).openTun('utun');
  assert.equal(tun.writePackets([ipv4(1), ipv6(2), new Uint8Array([0x20, 1, 2])]), 2);
  assert.deepEqual(mac.written, [
    { utun: tun.name, bytes: withHeader(2, ipv4(1)) },
    { utun: tun.name, bytes: withHeader(30, ipv6(2)) },
  ]);
  tun.close();
  assert.equal(tun.writePackets([ipv4(3)]), 0, 'a closed utun writes nothing');
});

test('MTU through SIOCGIFMTU and SIOCSIFMTU; pause stops watching the socket, resume starts again; close reports once', () => {
  const mac = new FakeMac();
  const tun = darwinPlatform(mac).openTun('utun');
  assert.equal(tun.mtu(), 1500);
  tun.setMtu(1420);
  assert.equal(mac.interfaces.get(tun.name)?.mtu, 1420);
  assert.equal(tun.mtu(), 1420);
  const fd = mac.fdOf((socket) => socket.utun === tun.name);
  tun.pause();
  assert.equal(mac.isWatched(fd), false);
  tun.resume();
  tun.resume();
  assert.equal(mac.isWatched(fd), true);
  const closes: (Error | undefined)[] = [];
  tun.onClose((error) => closes.push(error));
  tun.close();
  tun.close();
  assert.deepEqual(closes, [undefined]);
});

test('a read that fails ends the device with the error', () => {
  const mac = new FakeMac();
  const tun = darwinPlatform(mac).openTun('utun');
  const closes: (Error | undefined)[] = [];
  tun.onClose((error) => closes.push(error));
  const fd = mac.fdOf((socket) => socket.utun === tun.name);
  const read = mac.sys.read;
  mac.sys.read = (...args) => (args[0] === fd ? -6 : read(...args));
  mac.wake(fd);
  assert.equal(closes.length, 1);
  assert.match(String(closes[0]?.message), /read failed/);
  assert.equal(mac.sockets.get(fd)?.closed, true);
});

async function bound(mac: FakeMac, port = 0) {
  const received: { family: number; data: Uint8Array; endpoint: Endpoint }[] = [];
  const stale: Endpoint[] = [];
  const udp = await darwinPlatform(mac).bindUdp(port, {
    datagrams: (batch: DatagramBatch) => {
      for (let i = 0; i < batch.count; i++) {
        received.push({ family: batch.sourceFamily(i), data: batch.datagram(i).slice(), endpoint: batch.endpoint(i) });
      }
    },
    staleSource: (endpoint) => stale.push(endpoint),
  });
  return { udp, received, stale };
}

test('UDP: IPv6 (v6-only) and IPv4 bound to one port, packet info asked for on both, non-blocking', async () => {
  const mac = new FakeMac();
  mac.freePort = 53001;
  const { udp } = await bound(mac);
  assert.equal(udp.port, 53001);
  const v6 = mac.sockets.get(mac.fdOf((socket) => socket.family === 6))!;
  const v4 = mac.sockets.get(mac.fdOf((socket) => socket.family === 4))!;
  assert.equal(v6.port, 53001);
  assert.equal(v4.port, 53001);
  // IPPROTO_IPV6 41: IPV6_V6ONLY 27, IPV6_RECVPKTINFO 61; IPPROTO_IP 0: IP_RECVPKTINFO 26.
  assert.equal(v6.options.get('41/27'), 1);
  assert.equal(v6.options.get('41/61'), 1);
  assert.equal(v4.options.get('0/26'), 1);
  assert.ok(v6.nonBlocking && v4.nonBlocking && v6.cloexec && v4.cloexec);
  assert.throws(() => udp.setMark(51820), /no socket marks/);
  udp.close();
  assert.ok(v6.closed && v4.closed);
});

test('UDP: a wake-up delivers every waiting datagram at once, each with its source and the address it was sent to', async () => {
  const mac = new FakeMac();
  const { udp, received } = await bound(mac, 51820);
  const peer = new Uint8Array([198, 51, 100, 1]);
  const local = new Uint8Array([192, 168, 1, 20]);
  mac.queueDatagrams(4, [
    { address: peer, port: 4444, data: new Uint8Array([1, 2, 3]), local, interfaceIndex: 4 },
    { address: peer, port: 4444, data: new Uint8Array([4]), local, interfaceIndex: 4 },
    { address: peer, port: 5555, data: new Uint8Array(70000) },
  ]);
  mac.wake(mac.fdOf((socket) => socket.family === 4 && socket.port === 51820));
  assert.deepEqual(
    received.map((r) => [r.family, [...r.data], r.endpoint]),
    [
      [4, [1, 2, 3], { family: 4, bytes: peer, port: 4444, localAddress: local, localInterface: 4 }],
      [4, [4], { family: 4, bytes: peer, port: 4444, localAddress: local, localInterface: 4 }],
    ],
  );
  assert.equal(udp.stats().receiveTruncated, 1, 'a datagram larger than any WireGuard message is dropped and counted');
  const peer6 = new Uint8Array(16).fill(0x20);
  const local6 = new Uint8Array(16).fill(0xfd);
  mac.queueDatagrams(6, [{ address: peer6, port: 443, data: new Uint8Array([9]), local: local6, interfaceIndex: 6 }]);
  mac.wake(mac.fdOf((socket) => socket.family === 6));
  assert.deepEqual(received.at(-1)?.endpoint, {
    family: 6,
    bytes: peer6,
    port: 443,
    localAddress: local6,
    localInterface: 6,
  });
  udp.close();
});

test('UDP: replies leave from the sticky source; one whose address is gone goes out from the routed one and is reported once', async () => {
  const mac = new FakeMac();
  const { udp, stale } = await bound(mac, 51820);
  const sticky: Endpoint = {
    family: 4,
    bytes: new Uint8Array([198, 51, 100, 1]),
    port: 4444,
    localAddress: new Uint8Array([192, 168, 1, 20]),
    localInterface: 4,
  };
  const plain: Endpoint = { family: 6, bytes: new Uint8Array(16).fill(0x20), port: 443 };
  assert.equal(udp.sendBatch([new Uint8Array([1]), new Uint8Array([2, 2])], [sticky, plain]), 2);
  assert.deepEqual(mac.sent, [
    {
      family: 4,
      address: sticky.bytes,
      port: 4444,
      data: new Uint8Array([1]),
      source: sticky.localAddress,
      sourceInterface: 0,
    },
    { family: 6, address: plain.bytes, port: 443, data: new Uint8Array([2, 2]) },
  ]);
  mac.goneAddresses.push(sticky.localAddress!);
  assert.equal(udp.send(new Uint8Array([3]), sticky), true);
  assert.deepEqual(mac.sent.at(-1), { family: 4, address: sticky.bytes, port: 4444, data: new Uint8Array([3]) });
  assert.deepEqual(stale, [sticky]);
  udp.close();
  assert.equal(udp.send(new Uint8Array([4]), plain), false);
  assert.equal(udp.stats().sendDropped, 1);
});

test('UDP: a port in use is an EADDRINUSE error, and nothing stays open', async () => {
  const mac = new FakeMac();
  const bind = mac.sys.bind;
  mac.sys.bind = (...args) => (mac.sockets.get(args[0])?.family === 4 ? -48 : bind(...args));
  await assert.rejects(bound(mac, 51820), { code: 'EADDRINUSE', syscall: 'bind' });
  assert.equal([...mac.sockets.values()].filter((socket) => !socket.closed).length, 0);
});

test('UDP on any port: one that IPv4 has taken is given up for another that both families have free', async () => {
  const mac = new FakeMac();
  mac.freePort = 50001;
  const bind = mac.sys.bind;
  mac.sys.bind = (...args) => {
    const socket = mac.sockets.get(args[0]);
    if (socket?.family === 4 && mac.freePort === 50001) {
      mac.freePort = 50002;
      return -48;
    }
    return bind(...args);
  };
  const { udp } = await bound(mac);
  assert.equal(udp.port, 50002);
  assert.equal([...mac.sockets.values()].filter((socket) => !socket.closed).length, 2);
  udp.close();
});
