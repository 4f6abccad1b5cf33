// TUN offloads against the real kernel: two TUN devices, one in each of two
// namespaces the test creates, wired back to back by this process (what one
// reads is written to the other with writePackets). Kernel TCP between the
// namespaces then crosses both offload paths: the sender's super-packets are
// split on read, and the segments are merged again on write.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { exec } from './harness/exec.js';
import { Lab } from './harness/lab.js';
import type { Namespace } from './harness/namespace.js';
import { tcpTransfer } from './harness/transfer.js';
import type { PacketBatch } from '../../helper/src/os/tun.js';
import {
  openLinuxTun,
  TUN_F_CSUM,
  TUN_F_TSO4,
  TUN_F_TSO6,
  type LinuxTun,
  type TunOffloadStats,
} from '../../helper/src/os/linux/tun.js';
import { parseIpv4 } from '../../helper/src/net/ip.js';
import { buildTcp, readTcp, TCP_ACK, TCP_SYN, type TcpView } from '../unit/support/tcp-packets.js';

const MTU = 1420;
const ADDRESS_A = '10.98.0.1';
const ADDRESS_B = '10.98.0.2';
const ADDRESS6_A = 'fd98::1';
const ADDRESS6_B = 'fd98::2';
const MB = 1024 * 1024;
/** A's batches are small, so that most super-packets it reads are split across two or more. */
const BATCH_A = 16;

let lab: Lab | undefined;
let tunA: LinuxTun | undefined;
let tunB: LinuxTun | undefined;
let nsA: Namespace;
let nsB: Namespace;
/** Set while a test wants to see the TCP packets read from A, with the port they go to. */
let capture: { port: number; packets: TcpView[]; largestBatch: number } | undefined;

function packetsOf(batch: PacketBatch): Uint8Array[] {
  const packets: Uint8Array[] = [];
  for (let i = 0; i < batch.count; i++) packets.push(batch.packet(i));
  return packets;
}

function record(packets: readonly Uint8Array[]): void {
  if (!capture) return;
  capture.largestBatch = Math.max(capture.largestBatch, packets.length);
  for (const packet of packets) {
    const tcp = readTcp(packet.slice());
    if (tcp?.destinationPort === capture.port) capture.packets.push(tcp);
  }
}

async function attach(tun: LinuxTun, ns: Namespace, address: string, address6: string): Promise<void> {
  await exec(undefined, 'ip', ['link', 'set', 'dev', tun.name, 'netns', ns.name]);
  await ns.exec('ip', ['addr', 'add', `${address}/24`, 'dev', tun.name]);
  await ns.exec('ip', ['-6', 'addr', 'add', `${address6}/64`, 'dev', tun.name, 'nodad']);
  await ns.exec('ip', ['link', 'set', 'dev', tun.name, 'mtu', String(MTU), 'up']);
}

before(async () => {
  lab = await Lab.create();
  nsA = await lab.namespace();
  nsB = await lab.namespace();
  const a = openLinuxTun(lab.tunnelInterfaceName(), { batchPackets: BATCH_A });
  const b = openLinuxTun(lab.tunnelInterfaceName());
  tunA = a;
  tunB = b;
  a.onPackets((batch) => {
    const packets = packetsOf(batch);
    record(packets);
    b.writePackets(packets);
  });
  b.onPackets((batch) => a.writePackets(packetsOf(batch)));
  await attach(a, nsA, ADDRESS_A, ADDRESS6_A);
  await attach(b, nsB, ADDRESS_B, ADDRESS6_B);
});

after(async () => {
  tunA?.close();
  tunB?.close();
  await lab?.cleanup();
});

/** Runs `action` and returns how much each offload counter of `tun` grew meanwhile. */
async function statsDelta(
  tun: LinuxTun | undefined,
  action: () => Promise<unknown>,
): Promise<(key: keyof TunOffloadStats) => number> {
  assert.ok(tun);
  const before = tun.offloadStats();
  await action();
  const now = tun.offloadStats();
  return (key) => now[key] - before[key];
}

test('the kernel grants checksum and TCP segmentation offloads', () => {
  assert.ok(tunA && tunB);
  for (const tun of [tunA, tunB]) {
    const { offloads } = tun.offloadStats();
    assert.equal(offloads & (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6), TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
  }
});

/** The stream a capture carries, checking that new data always starts where the last ended. */
function reassemble(packets: readonly TcpView[]): Buffer {
  const syn = packets.find((packet) => packet.flags & TCP_SYN);
  assert.ok(syn, 'the SYN was read');
  let next = (syn.seq + 1) >>> 0;
  const chunks: Uint8Array[] = [];
  for (const packet of packets) {
    if (packet.payload.length === 0) continue;
    const ahead = (packet.seq - next) | 0;
    assert.ok(ahead <= 0, `a gap of ${ahead} bytes before seq ${packet.seq}`);
    const fresh = packet.payload.subarray(-ahead);
    chunks.push(fresh);
    next = (next + fresh.length) >>> 0;
  }
  return Buffer.concat(chunks);
}

test('TCP super-packets are read as valid packets of at most the MTU that carry the stream', async () => {
  const port = 5101;
  capture = { port, packets: [], largestBatch: 0 };
  let result: Awaited<ReturnType<typeof tcpTransfer>> | undefined;
  const delta = await statsDelta(tunA, async () => {
    result = await tcpTransfer(nsA, nsB, ADDRESS_B, { bytes: 4 * MB, port, timeoutMs: 60_000 });
  });
  const { packets, largestBatch } = capture;
  capture = undefined;
  assert.ok(result);
  assert.ok(delta('gsoPacketsRead') > 0, 'the kernel handed over super-packets');
  assert.ok(delta('segmentsRead') >= 2 * delta('gsoPacketsRead'), 'each was split into several packets');
  assert.ok(delta('splitsCarriedOver') > 0, 'super-packets continued in the next batch');
  assert.ok(largestBatch <= BATCH_A, `a batch of ${largestBatch} packets`);
  assert.equal(delta('malformedDropped'), 0);
  for (const packet of packets) {
    assert.ok(packet.totalLength <= MTU, `a packet of ${packet.totalLength} bytes`);
    assert.ok(packet.ipChecksumValid, `IPv4 header checksum of seq ${packet.seq}`);
    assert.ok(packet.tcpChecksumValid, `TCP checksum of seq ${packet.seq}`);
  }
  const stream = reassemble(packets);
  assert.equal(stream.length, 4 * MB);
  assert.equal(createHash('sha256').update(stream).digest('hex'), result.sentSha256);
  assert.equal(result.receivedSha256, result.sentSha256);
});

async function assertTransferMerged(from: Namespace, to: Namespace, address: string, writer: LinuxTun | undefined) {
  let result: Awaited<ReturnType<typeof tcpTransfer>> | undefined;
  const delta = await statsDelta(writer, async () => {
    result = await tcpTransfer(from, to, address, { bytes: 8 * MB, port: 5102, timeoutMs: 60_000 });
  });
  assert.ok(result);
  assert.equal(result.receivedBytes, 8 * MB);
  assert.equal(result.receivedSha256, result.sentSha256);
  assert.ok(delta('gsoPacketsWritten') > 0, 'segments were merged into super-packets');
  assert.ok(delta('segmentsCoalesced') >= 2 * delta('gsoPacketsWritten'));
  assert.equal(delta('gsoWriteFailures'), 0, 'the kernel took every super-packet');
}

test('8 MB over IPv4 through both offload paths arrive intact, merged on write', async () => {
  await assertTransferMerged(nsB, nsA, ADDRESS_A, tunA);
});

test('8 MB over IPv6 through both offload paths arrive intact, merged on write', async () => {
  assert.ok(tunA);
  const readBefore = tunA.offloadStats().gsoPacketsRead;
  await assertTransferMerged(nsA, nsB, ADDRESS6_B, tunB);
  assert.ok(tunA.offloadStats().gsoPacketsRead > readBefore, 'IPv6 super-packets were read and split');
});

/** The kernel's count of TCP segments dropped for a bad checksum in `ns`. */
async function tcpChecksumErrors(ns: Namespace): Promise<number> {
  const lines = (await ns.exec('cat', ['/proc/net/snmp'])).split('\n').filter((line) => line.startsWith('Tcp:'));
  const [names, values] = lines.map((line) => line.trim().split(/\s+/));
  const index = names?.indexOf('InCsumErrors') ?? -1;
  assert.ok(index > 0 && values, 'Tcp InCsumErrors in /proc/net/snmp');
  return Number(values[index]);
}

/** Three back-to-back segments of one flow from A to B, 1000 bytes each. */
function threeSegments(): Uint8Array[] {
  const [source, destination] = [parseIpv4(ADDRESS_A), parseIpv4(ADDRESS_B)];
  assert.ok(source && destination);
  return [0, 1, 2].map((i) =>
    buildTcp({
      version: 4,
      source,
      destination,
      sourcePort: 40999,
      destinationPort: 5999,
      seq: 1000 + i * 1000,
      ack: 1,
      flags: TCP_ACK,
      id: i,
      payload: new Uint8Array(1000).fill(i),
    }),
  );
}

test('segments are merged only when their checksums hold, and the kernel still checks the others', async () => {
  assert.ok(tunB);
  const tun = tunB;
  const errorsBefore = await tcpChecksumErrors(nsB);
  let delta = await statsDelta(tun, async () => assert.equal(tun.writePackets(threeSegments()), 3));
  assert.equal(delta('gsoPacketsWritten'), 1, 'three good segments: one super-packet');
  assert.equal(delta('segmentsCoalesced'), 3);

  const corrupt = threeSegments();
  const middle = corrupt[1]!;
  middle[100] = middle[100]! ^ 0xff;
  delta = await statsDelta(tun, async () => assert.equal(tun.writePackets(corrupt), 3));
  assert.equal(delta('gsoPacketsWritten'), 0, 'a bad checksum in the middle ends every run');
  assert.equal(await tcpChecksumErrors(nsB), errorsBefore + 1, 'the kernel saw the bad segment and dropped it');
});
