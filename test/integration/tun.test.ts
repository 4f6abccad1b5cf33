// The Linux TUN device against the real kernel. A process can only create a
// TUN device in its own network namespace, so each test device is created here
// (down, without addresses) and moved at once into a namespace the test owns,
// where all traffic happens; moving it again is part of what is tested.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { exec } from './harness/exec.js';
import { Lab } from './harness/lab.js';
import type { Namespace } from './harness/namespace.js';
import type { BackgroundProcess } from './harness/background.js';
import { currentPlatform } from '../../helper/src/os/platform.js';
import type { PacketBatch, TunDevice } from '../../helper/src/os/tun.js';
import { MAX_BATCH_PACKETS, openLinuxTun, TUN_F_CSUM, TUN_F_TSO4 } from '../../helper/src/os/linux/tun.js';
import { parseIpv4 } from '../../helper/src/net/ip.js';

const LOCAL = '10.99.0.1';
const REMOTE = '10.99.0.2';
const IPPROTO_UDP = 17;

const opened: TunDevice[] = [];

function track<T extends TunDevice>(tun: T): T {
  opened.push(tun);
  return tun;
}

// The tests below share one device, which travels from namespace A to B.
let lab: Lab | undefined;
let nsA: Namespace;
let nsB: Namespace;
let device: string;

before(async () => {
  // Lab.create fails (rather than skips) without root and the tools.
  lab = await Lab.create();
  nsA = await lab.namespace();
  nsB = await lab.namespace();
  for (const ns of [nsA, nsB]) {
    // IPv6 would add router solicitations and MLD reports to the device's traffic.
    await ns.exec('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  }
  device = lab.tunnelInterfaceName();
});

after(async () => {
  for (const tun of opened) tun.close();
  await lab?.cleanup();
});

/** Copies every batch the device hands over, so that tests can wait for packets. */
class PacketLog {
  readonly batches: Uint8Array[][] = [];

  constructor(tun: TunDevice) {
    tun.onPackets((batch) => this.batches.push(copyBatch(batch)));
  }

  packets(): Uint8Array[] {
    return this.batches.flat();
  }

  async waitForUdp(port: number, count: number): Promise<Uint8Array[]> {
    const matching = (): Uint8Array[] => this.packets().filter((packet) => udpDestinationPort(packet) === port);
    await waitUntil(() => matching().length >= count, `${count} UDP packets to port ${port}`);
    return matching();
  }
}

function copyBatch(batch: PacketBatch): Uint8Array[] {
  const packets: Uint8Array[] = [];
  for (let i = 0; i < batch.count; i++) packets.push(batch.packet(i).slice());
  return packets;
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function ipv4(text: string): Uint8Array {
  const bytes = parseIpv4(text);
  assert.ok(bytes, text);
  return bytes;
}

function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4HeaderLength(packet: Uint8Array): number {
  return (packet[0]! & 0x0f) * 4;
}

function udpDestinationPort(packet: Uint8Array): number | undefined {
  if (packet[0]! >> 4 !== 4 || packet[9] !== IPPROTO_UDP) return undefined;
  const udp = ipv4HeaderLength(packet);
  return (packet[udp + 2]! << 8) | packet[udp + 3]!;
}

function udpPayload(packet: Uint8Array): string {
  return Buffer.from(packet.subarray(ipv4HeaderLength(packet) + 8)).toString();
}

/** An IPv4/UDP packet as a peer would send it; UDP checksum 0 means "none" in IPv4. */
function ipv4Udp(source: string, sourcePort: number, destination: string, destinationPort: number, payload: string) {
  const data = Buffer.from(payload);
  const packet = new Uint8Array(28 + data.length);
  const view = new DataView(packet.buffer);
  packet[0] = 0x45;
  view.setUint16(2, packet.length);
  packet[8] = 64;
  packet[9] = IPPROTO_UDP;
  packet.set(ipv4(source), 12);
  packet.set(ipv4(destination), 16);
  view.setUint16(10, internetChecksum(packet.subarray(0, 20)));
  view.setUint16(20, sourcePort);
  view.setUint16(22, destinationPort);
  view.setUint16(24, 8 + data.length);
  packet.set(data, 28);
  return packet;
}

/** Sends `count` datagrams "<text> <i>" from inside `ns`, one after another. */
async function sendUdp(ns: Namespace, host: string, port: number, text: string, count = 1): Promise<void> {
  const script = `
    const socket = require('node:dgram').createSocket('udp4');
    const [host, port, text, count] = process.argv.slice(1);
    let sent = 0;
    const next = () => {
      if (sent === Number(count)) return socket.close();
      socket.send(text + ' ' + sent++, Number(port), host, (error) => { if (error) throw error; next(); });
    };
    next();`;
  await ns.exec(process.execPath, ['-e', script, host, String(port), text, String(count)]);
}

/** A UDP socket bound inside `ns` that prints "<address>:<port> <text>" of one datagram and exits. */
async function receiveUdp(ns: Namespace, host: string, port: number): Promise<BackgroundProcess> {
  const script = `
    const socket = require('node:dgram').createSocket('udp4');
    socket.on('message', (data, from) => {
      process.stdout.write(from.address + ':' + from.port + ' ' + data + '\\n');
      socket.close();
    });
    socket.bind(Number(process.argv[2]), process.argv[1], () => process.stdout.write('ready\\n'));`;
  const receiver = ns.spawn(process.execPath, ['-e', script, host, String(port)]);
  await waitUntil(() => receiver.log().startsWith('ready\n') || receiver.hasExited, 'the UDP receiver');
  return receiver;
}

async function receivedDatagram(receiver: BackgroundProcess): Promise<string> {
  await waitUntil(() => receiver.hasExited, 'a datagram at the receiver');
  assert.equal(receiver.describeExit(), 'exited with code 0', receiver.log());
  return receiver.log().slice('ready\n'.length).trim();
}

async function configure(ns: Namespace, name: string): Promise<void> {
  await ns.exec('ip', ['addr', 'add', `${LOCAL}/24`, 'dev', name]);
  await ns.exec('ip', ['link', 'set', name, 'up']);
}

/** Writes a datagram to the device and checks that a socket in `ns` receives it. */
async function assertDelivered(tun: TunDevice, ns: Namespace, payload: string): Promise<void> {
  const receiver = await receiveUdp(ns, LOCAL, 7777);
  const packet = ipv4Udp(REMOTE, 5555, LOCAL, 7777, payload);
  assert.equal(tun.writePackets([packet]), 1);
  assert.equal(await receivedDatagram(receiver), `${REMOTE}:5555 ${payload}`);
}

test('opens a device by name pattern, reports MTU and index, and refuses bad names', () => {
  const tun = track(openLinuxTun('wft%d'));
  try {
    assert.match(tun.name, /^wft\d+$/);
    tun.setMtu(1420);
    assert.equal(tun.mtu(), 1420);
    assert.equal(tun.index(), Number(readFileSync(`/sys/class/net/${tun.name}/ifindex`, 'utf8')));
    assert.throws(() => currentPlatform().openTun(tun.name), { code: 'EBUSY', syscall: 'ioctl' });
  } finally {
    tun.close();
  }
  assert.throws(() => currentPlatform().openTun('a-name-too-long-'), RangeError);
  assert.throws(() => currentPlatform().openTun(''), RangeError);
  assert.throws(() => currentPlatform().openTun('bad/name'), { code: 'EINVAL' });
});

test('opens with offloads unless told not to', () => {
  const offloaded = track(openLinuxTun('wft%d'));
  const plain = track(openLinuxTun('wft%d', { offloads: false }));
  try {
    assert.equal(offloaded.offloadStats().offloads & (TUN_F_CSUM | TUN_F_TSO4), TUN_F_CSUM | TUN_F_TSO4);
    assert.equal(plain.offloadStats().offloads, -1);
    const flags = (tun: typeof plain) => Number(readFileSync(`/sys/class/net/${tun.name}/tun_flags`, 'utf8'));
    const IFF_VNET_HDR = 0x4000;
    assert.equal(flags(offloaded) & IFF_VNET_HDR, IFF_VNET_HDR);
    assert.equal(flags(plain) & IFF_VNET_HDR, 0);
  } finally {
    offloaded.close();
    plain.close();
  }
});

test('deepens the device queue to 1000 packets, as the kernel WireGuard queues, and keeps a deeper one set beforehand', async () => {
  const queueLength = (name: string) => Number(readFileSync(`/sys/class/net/${name}/tx_queue_len`, 'utf8'));
  const fresh = track(openLinuxTun('wft%d'));
  try {
    assert.equal(queueLength(fresh.name), 1000);
  } finally {
    fresh.close();
  }
  const persistent = lab!.tunnelInterfaceName();
  await exec(undefined, 'ip', ['tuntap', 'add', 'dev', persistent, 'mode', 'tun']);
  try {
    await exec(undefined, 'ip', ['link', 'set', 'dev', persistent, 'txqueuelen', '2000']);
    const attached = track(openLinuxTun(persistent));
    try {
      assert.equal(queueLength(attached.name), 2000);
    } finally {
      attached.close();
    }
  } finally {
    await exec(undefined, 'ip', ['tuntap', 'del', 'dev', persistent, 'mode', 'tun']);
  }
});

let tun: ReturnType<typeof openLinuxTun>;
let log: PacketLog;

test('reads the IPv4 packets the kernel routes to the device', async () => {
  tun = track(openLinuxTun(device));
  log = new PacketLog(tun);
  await exec(undefined, 'ip', ['link', 'set', 'dev', device, 'netns', nsA.name]);
  // The MTU is read in the namespace the device is in now, and follows changes made there.
  await nsA.exec('ip', ['link', 'set', 'dev', device, 'mtu', '1300']);
  assert.equal(tun.mtu(), 1300, 'the MTU of the device in the namespace it moved to');
  await configure(nsA, device);

  await sendUdp(nsA, REMOTE, 5555, 'hello');
  const [packet] = await log.waitForUdp(5555, 1);
  assert.ok(packet);
  assert.equal(packet[0]! >> 4, 4, 'IP version');
  assert.equal(ipv4HeaderLength(packet), 20);
  assert.equal((packet[2]! << 8) | packet[3]!, packet.length, 'total length');
  assert.equal(packet[9], IPPROTO_UDP);
  assert.equal(internetChecksum(packet.subarray(0, 20)), 0, 'header checksum');
  assert.deepEqual(packet.subarray(12, 16), ipv4(LOCAL));
  assert.deepEqual(packet.subarray(16, 20), ipv4(REMOTE));
  assert.equal(udpPayload(packet), 'hello 0');
});

test('writes packets that the kernel delivers, counting dropped ones', async () => {
  await assertDelivered(tun, nsA, 'pong');
  const notIp = new Uint8Array(40);
  const receiver = await receiveUdp(nsA, LOCAL, 7777);
  const written = tun.writePackets([notIp, ipv4Udp(REMOTE, 5556, LOCAL, 7777, 'after a bad one')]);
  assert.equal(written, 1, 'the packet that is not IP is dropped, the next one still written');
  assert.equal(await receivedDatagram(receiver), `${REMOTE}:5556 after a bad one`);
  assert.throws(() => tun.writePackets(['not bytes' as unknown as Uint8Array]), TypeError);
});

test('hands over every queued packet in batches of at most MAX_BATCH_PACKETS per wake-up', async () => {
  const total = MAX_BATCH_PACKETS + 36;
  tun.pause();
  const before = log.batches.length;
  await sendUdp(nsA, REMOTE, 6000, 'burst', total);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(log.batches.length, before, 'nothing is read while paused');
  tun.resume();
  const packets = await log.waitForUdp(6000, total);
  assert.deepEqual(
    log.batches.slice(before).map((batch) => batch.length),
    [MAX_BATCH_PACKETS, 36],
  );
  assert.deepEqual(
    packets.map(udpPayload),
    Array.from({ length: total }, (_, i) => `burst ${i}`),
    'in order',
  );
});

test('keeps working after the interface moves to another namespace', async () => {
  await nsA.exec('ip', ['link', 'set', 'dev', device, 'netns', nsB.name]);
  await configure(nsB, device);
  await sendUdp(nsB, REMOTE, 5557, 'moved');
  const [packet] = await log.waitForUdp(5557, 1);
  assert.ok(packet);
  assert.equal(udpPayload(packet), 'moved 0');
  await assertDelivered(tun, nsB, 'still here');
});

test('reports the deletion of the interface through onClose', async () => {
  const closed = new Promise<Error | undefined>((resolve) => tun.onClose(resolve));
  await nsB.exec('ip', ['link', 'del', device]);
  const error = await Promise.race([
    closed,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('onClose was not called')), 5000)),
  ]);
  assert.ok(error instanceof Error, 'closed with an error');
  assert.match(error.message, new RegExp(device));
  assert.equal(typeof (error as NodeJS.ErrnoException).code, 'string');
  assert.equal(tun.writePackets([ipv4Udp(REMOTE, 5555, LOCAL, 7777, 'gone')]), 0);
  tun.close();
  let calledAgain = false;
  tun.onClose(() => (calledAgain = true));
  assert.ok(calledAgain, 'a handler registered after the end hears of it at once');
});

test('close() is quiet and final', async () => {
  const device = track(openLinuxTun('wft%d'));
  const calls: (Error | undefined)[] = [];
  device.onClose((error) => calls.push(error));
  device.close();
  device.close();
  assert.deepEqual(calls, [undefined]);
  assert.equal(device.writePackets([ipv4Udp(REMOTE, 5555, LOCAL, 7777, 'closed')]), 0);
  device.pause();
  device.resume();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(calls, [undefined]);
});
