// The read side of the TUN offloads without a device: what the addon makes of
// one packet read behind a virtio_net_hdr (split, completed, kept, or dropped),
// checked against packets built and read back in TypeScript.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import fc from 'fast-check';
import { loadNativeAddon } from '../../helper/src/os/native-addon.js';
import { buildTcp, readTcp, withPartialChecksum, TCP_ACK, TCP_CWR, TCP_FIN, TCP_PSH } from './support/tcp-packets.js';

const native = loadNativeAddon().tun;

// virtio_net_hdr (linux/virtio_net.h): fields in the host's byte order.
const NEEDS_CSUM = 1;
const GSO_NONE = 0;
const GSO_TCPV4 = 1;
const GSO_UDP = 3;
const GSO_TCPV6 = 4;
const GSO_ECN = 0x80;
const TCP_CHECKSUM_OFFSET = 16;

interface VnetHeader {
  flags: number;
  gsoType: number;
  hdrLen?: number;
  gsoSize?: number;
  csumStart?: number;
  csumOffset?: number;
}

function withVnetHeader(header: VnetHeader, packet: Uint8Array): Uint8Array {
  const input = new Uint8Array(10 + packet.length);
  const view = new DataView(input.buffer);
  const little = endianness() === 'LE';
  input[0] = header.flags;
  input[1] = header.gsoType;
  view.setUint16(2, header.hdrLen ?? 0, little);
  view.setUint16(4, header.gsoSize ?? 0, little);
  view.setUint16(6, header.csumStart ?? 0, little);
  view.setUint16(8, header.csumOffset ?? 0, little);
  input.set(packet, 10);
  return input;
}

const SLAB_BYTES = 256 * 1024;
const MAX_PACKETS = 512;

function split(input: Uint8Array, slab = new Uint8Array(SLAB_BYTES), lengths = new Uint32Array(MAX_PACKETS)) {
  const count = native.splitPacket(input, slab, lengths);
  const packets: Uint8Array[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    packets.push(slab.slice(offset, offset + lengths[i]!));
    offset += lengths[i]!;
  }
  return packets;
}

const V4 = { source: new Uint8Array([10, 0, 0, 1]), destination: new Uint8Array([10, 0, 0, 2]) };
const V6 = {
  source: new Uint8Array([0xfd, ...new Array<number>(14).fill(0), 1]),
  destination: new Uint8Array([0xfd, ...new Array<number>(14).fill(0), 2]),
};

interface SuperPacket {
  version: 4 | 6;
  payload: Uint8Array;
  gsoSize: number;
  optionWords: number;
  flags: number;
  ecn: boolean;
  seq: number;
  id: number;
}

function superPacket(spec: SuperPacket): { packet: Uint8Array; input: Uint8Array } {
  const packet = buildTcp({
    version: spec.version,
    ...(spec.version === 6 ? V6 : V4),
    sourcePort: 40000,
    destinationPort: 5201,
    seq: spec.seq,
    ack: 12345,
    flags: spec.flags,
    options: new Uint8Array(spec.optionWords * 4).fill(1),
    id: spec.id,
    payload: spec.payload,
  });
  const ipHeader = spec.version === 6 ? 40 : 20;
  const header: VnetHeader = {
    flags: NEEDS_CSUM,
    gsoType: (spec.version === 6 ? GSO_TCPV6 : GSO_TCPV4) | (spec.ecn ? GSO_ECN : 0),
    hdrLen: ipHeader + 20 + spec.optionWords * 4,
    gsoSize: spec.gsoSize,
    csumStart: ipHeader,
    csumOffset: TCP_CHECKSUM_OFFSET,
  };
  // As the kernel hands it over: the TCP checksum field holds only the pseudo-header sum.
  return { packet, input: withVnetHeader(header, withPartialChecksum(packet)) };
}

const superPackets = fc
  .record({
    version: fc.constantFrom(4 as const, 6 as const),
    payloadLength: fc.integer({ min: 1, max: 30000 }),
    gsoSize: fc.integer({ min: 1, max: 1500 }),
    optionWords: fc.integer({ min: 0, max: 10 }),
    extraFlags: fc.subarray([TCP_PSH, TCP_FIN, TCP_CWR]),
    ecn: fc.boolean(),
    seq: fc.nat({ max: 0xffffffff }),
    id: fc.nat({ max: 0xffff }),
  })
  .filter(({ payloadLength, gsoSize }) => Math.ceil(payloadLength / gsoSize) <= MAX_PACKETS)
  .map(({ payloadLength, extraFlags, ...rest }) => ({
    ...rest,
    payload: Uint8Array.from({ length: payloadLength }, (_, i) => (i * 7 + (i >> 8)) & 0xff),
    flags: extraFlags.reduce((flags, flag) => flags | flag, TCP_ACK),
  }));

test('a super-packet is split as the kernel segments it', () => {
  fc.assert(
    fc.property(superPackets, (spec) => {
      const { packet, input } = superPacket(spec);
      const original = readTcp(packet)!;
      const raw = split(input);
      const segments = raw.map((segment) => readTcp(segment)!);
      assert.equal(segments.length, Math.ceil(spec.payload.length / spec.gsoSize));
      segments.forEach((segment, i) => {
        const first = i === 0;
        const last = i === segments.length - 1;
        assert.ok(segment.ipChecksumValid && segment.tcpChecksumValid, `checksums of segment ${i}`);
        assert.equal(segment.totalLength, segment.headerLength + segment.payload.length);
        assert.equal(segment.payload.length, last ? spec.payload.length - i * spec.gsoSize : spec.gsoSize);
        assert.equal(segment.seq, (spec.seq + i * spec.gsoSize) >>> 0);
        assert.equal(segment.ack, original.ack);
        if (spec.version === 4) assert.equal(segment.id, (spec.id + i) & 0xffff);
        const expectedFlags = original.flags & ~(last ? 0 : TCP_FIN | TCP_PSH) & ~(first ? 0 : TCP_CWR);
        assert.equal(segment.flags, expectedFlags);
        assert.deepEqual(
          segment.payload,
          spec.payload.subarray(i * spec.gsoSize, i * spec.gsoSize + segment.payload.length),
        );
        const options = (bytes: Uint8Array) => bytes.subarray(original.ipHeaderLength + 20, original.headerLength);
        assert.deepEqual(options(raw[i]!), options(packet), 'TCP options');
      });
    }),
    { numRuns: 150 },
  );
});

test('a packet that is not split gets the checksum the kernel left partial, or stays as it is', () => {
  const packet = smallTcp(333);
  const partial = withPartialChecksum(packet);
  assert.notDeepEqual(partial, packet);
  const needsChecksum = { flags: NEEDS_CSUM, gsoType: GSO_NONE, csumStart: 20, csumOffset: TCP_CHECKSUM_OFFSET };
  assert.deepEqual(split(withVnetHeader(needsChecksum, partial)), [packet]);
  const plain = { flags: 0, gsoType: GSO_NONE };
  assert.deepEqual(split(withVnetHeader(plain, partial)), [partial], 'without NEEDS_CSUM it is left alone');
});

function validSuperPacket(version: 4 | 6 = 4) {
  const payload = new Uint8Array(5000).fill(3);
  return superPacket({ version, payload, gsoSize: 1000, optionWords: 3, flags: TCP_ACK, ecn: false, seq: 1, id: 1 });
}

/** An IPv4 TCP packet with some payload and no options. */
function smallTcp(payloadLength: number): Uint8Array {
  const payload = new Uint8Array(payloadLength).fill(7);
  return buildTcp({ version: 4, ...V4, sourcePort: 1, destinationPort: 2, seq: 9, ack: 0, flags: TCP_ACK, payload });
}

/** The input of an IPv4 super-packet of that kind. */
function smallSuperPacket(payloadLength: number): Uint8Array {
  const header = { flags: NEEDS_CSUM, gsoType: GSO_TCPV4, gsoSize: 1000, csumStart: 20, csumOffset: 16 };
  return withVnetHeader(header, smallTcp(payloadLength));
}

/** A packet of `length` zero bytes asking for a checksum at csumStart + csumOffset. */
function needingChecksum(length: number, csumStart: number, csumOffset: number): Uint8Array {
  return withVnetHeader({ flags: NEEDS_CSUM, gsoType: GSO_NONE, csumStart, csumOffset }, new Uint8Array(length));
}

/** A valid IPv4 super-packet's input with `change` applied to a copy (offsets count from the vnet header). */
function corrupted(change: (input: Uint8Array, view: DataView, little: boolean) => void): Uint8Array {
  const input = validSuperPacket().input.slice();
  change(input, new DataView(input.buffer), endianness() === 'LE');
  return input;
}

test('malformed headers and packets are dropped', () => {
  assert.equal(split(validSuperPacket().input).length, 5, 'the uncorrupted packet splits');
  const cases: Record<string, Uint8Array> = {
    'gso_size 0': corrupted((_, view, little) => view.setUint16(4, 0, little)),
    'UDP fragmentation offload': corrupted((input) => (input[1] = GSO_UDP)),
    'TCPV6 for an IPv4 packet': corrupted((input) => (input[1] = GSO_TCPV6)),
    'TCPV4 for an IPv6 packet': (() => {
      const input = validSuperPacket(6).input.slice();
      input[1] = GSO_TCPV4;
      return input;
    })(),
    'checksum asked for elsewhere': corrupted((_, view, little) => view.setUint16(8, 6, little)),
    'checksum start outside the packet': corrupted((_, view, little) => view.setUint16(6, 60000, little)),
    'IPv4 length beyond the read': corrupted((_, view) => view.setUint16(10 + 2, 6000)),
    'IPv4 header longer than the packet': corrupted((input) => (input[10] = 0x4f)),
    'IPv4 fragment': corrupted((_, view) => view.setUint16(10 + 6, 0x2000)),
    'not TCP': corrupted((input) => (input[10 + 9] = 17)),
    'TCP header beyond the packet': (() => {
      const input = smallSuperPacket(10);
      input[10 + 20 + 12] = 0xf0;
      return input;
    })(),
    'no payload': smallSuperPacket(0),
    'a vnet header without a packet': new Uint8Array(10),
    'NEEDS_CSUM past the end': needingChecksum(40, 30, 16),
    'NEEDS_CSUM at an odd offset': needingChecksum(40, 20, 7),
  };
  for (const [what, input] of Object.entries(cases)) assert.deepEqual(split(input), [], what);
});

test('any header and bytes stay inside the buffers', () => {
  const valid = validSuperPacket().input;
  const inputs = fc.oneof(
    fc.uint8Array({ minLength: 10, maxLength: 300 }),
    fc
      .array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.nat({ max: 255 })), { minLength: 1, maxLength: 6 })
      .map((changes) => {
        const input = valid.slice();
        for (const [at, value] of changes) input[at] = value;
        return input;
      }),
  );
  fc.assert(
    fc.property(inputs, (input) => {
      const slab = new Uint8Array(SLAB_BYTES);
      const lengths = new Uint32Array(MAX_PACKETS);
      let count: number;
      try {
        count = native.splitPacket(input, slab, lengths);
      } catch (error) {
        // Only a split that needs more room than given may throw.
        assert.ok(error instanceof RangeError, String(error));
        return;
      }
      const total = lengths.subarray(0, count).reduce((sum, length) => sum + length, 0);
      assert.ok(total <= slab.length);
      for (const packet of split(input)) assert.ok(packet.length <= 65535);
    }),
    { numRuns: 500 },
  );
});

test('a split that does not fit the buffers is refused', () => {
  const { input } = validSuperPacket();
  const slab = new Uint8Array(SLAB_BYTES);
  assert.throws(() => native.splitPacket(input, slab, new Uint32Array(3)), RangeError, 'too few lengths');
  assert.throws(() => native.splitPacket(input, new Uint8Array(3000), new Uint32Array(8)), RangeError, 'small slab');
  assert.throws(() => native.splitPacket(new Uint8Array(5), slab, new Uint32Array(8)), RangeError, 'no vnet header');
});
