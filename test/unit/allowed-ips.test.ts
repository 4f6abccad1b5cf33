import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AllowedIps } from '../../helper/src/engine/allowed-ips.js';
import type { Cidr, IpFamily } from '../../helper/src/net/ip.js';
import { equalBytes, formatCidr, maskCidr, parseCidr, parseIpAddress } from '../../helper/src/net/ip.js';

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  assert.ok(parsed, text);
  return parsed;
}

function lookupText<T>(table: AllowedIps<T>, text: string): T | undefined {
  const address = parseIpAddress(text);
  assert.ok(address, text);
  return table.lookup(address.family, address.bytes);
}

function entriesText<T>(table: AllowedIps<T>, value: T): string[] {
  return table.entriesFor(value).map(formatCidr);
}

/** The specification: a list of (network, value), searched in full for each lookup. */
class NaiveTable<T> {
  entries: { network: Cidr; value: T }[] = [];

  insert(network: Cidr, value: T): void {
    const masked = maskCidr(network);
    this.entries = this.entries.filter((entry) => !sameNetwork(entry.network, masked));
    this.entries.push({ network: masked, value });
  }

  remove(network: Cidr, value: T): boolean {
    const masked = maskCidr(network);
    const index = this.entries.findIndex((entry) => sameNetwork(entry.network, masked) && entry.value === value);
    if (index >= 0) this.entries.splice(index, 1);
    return index >= 0;
  }

  removeValue(value: T): void {
    this.entries = this.entries.filter((entry) => entry.value !== value);
  }

  lookup(family: IpFamily, address: Uint8Array): T | undefined {
    let best: { network: Cidr; value: T } | undefined;
    for (const entry of this.entries) {
      if (entry.network.family !== family || !inNetwork(entry.network, address)) continue;
      if (!best || entry.network.prefix > best.network.prefix) best = entry;
    }
    return best?.value;
  }

  entriesFor(value: T): Cidr[] {
    return this.entries.filter((entry) => entry.value === value).map((entry) => entry.network);
  }
}

function sameNetwork(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.prefix === b.prefix && equalBytes(a.bytes, b.bytes);
}

function bit(bytes: Uint8Array, position: number): number {
  return (bytes[position >> 3]! >> (7 - (position & 7))) & 1;
}

function inNetwork(network: Cidr, address: Uint8Array): boolean {
  for (let i = 0; i < network.prefix; i++) if (bit(network.bytes, i) !== bit(address, i)) return false;
  return true;
}

test('an empty table routes nothing', () => {
  const table = new AllowedIps<string>();
  assert.equal(lookupText(table, '10.0.0.1'), undefined);
  assert.equal(lookupText(table, '::1'), undefined);
  assert.deepEqual(table.entriesFor('a'), []);
});

test('/0 catches every address of its own family only', () => {
  const table = new AllowedIps<string>();
  table.insert(cidr('0.0.0.0/0'), 'v4');
  assert.equal(lookupText(table, '0.0.0.0'), 'v4');
  assert.equal(lookupText(table, '255.255.255.255'), 'v4');
  assert.equal(lookupText(table, '::'), undefined);
  table.insert(cidr('::/0'), 'v6');
  assert.equal(lookupText(table, 'ffff::1'), 'v6');
  assert.equal(lookupText(table, '1.2.3.4'), 'v4');
});

test('the most specific network wins, down to /32 and /128', () => {
  const table = new AllowedIps<string>();
  table.insert(cidr('0.0.0.0/0'), 'default');
  table.insert(cidr('10.0.0.0/8'), 'a');
  table.insert(cidr('10.1.0.0/16'), 'b');
  table.insert(cidr('10.1.1.0/24'), 'a');
  table.insert(cidr('10.1.1.7/32'), 'c');
  table.insert(cidr('2001:db8::/32'), 'a');
  table.insert(cidr('2001:db8::1/128'), 'b');
  table.insert(cidr('2001:db8:8000::/33'), 'c');
  assert.equal(lookupText(table, '11.0.0.1'), 'default');
  assert.equal(lookupText(table, '10.200.0.1'), 'a');
  assert.equal(lookupText(table, '10.1.200.1'), 'b');
  assert.equal(lookupText(table, '10.1.1.6'), 'a');
  assert.equal(lookupText(table, '10.1.1.7'), 'c');
  assert.equal(lookupText(table, '10.1.1.8'), 'a');
  assert.equal(lookupText(table, '2001:db8::1'), 'b');
  assert.equal(lookupText(table, '2001:db8::2'), 'a');
  assert.equal(lookupText(table, '2001:db8:8000::2'), 'c');
  assert.equal(lookupText(table, '2001:db9::1'), undefined);
});

test('host bits are masked off on insert and remove', () => {
  const table = new AllowedIps<string>();
  table.insert(cidr('10.1.2.3/8'), 'a');
  table.insert(cidr('2001:db8::ff/120'), 'a');
  assert.deepEqual(entriesText(table, 'a'), ['10.0.0.0/8', '2001:db8::/120']);
  assert.equal(lookupText(table, '10.9.9.9'), 'a');
  assert.equal(table.remove(cidr('10.255.0.0/8'), 'a'), true);
  assert.equal(lookupText(table, '10.9.9.9'), undefined);
});

test('a network belongs to one value: inserting it again moves it', () => {
  const table = new AllowedIps<string>();
  table.insert(cidr('192.168.0.0/24'), 'a');
  table.insert(cidr('192.168.1.0/24'), 'a');
  table.insert(cidr('192.168.0.0/24'), 'b');
  assert.equal(lookupText(table, '192.168.0.1'), 'b');
  assert.deepEqual(entriesText(table, 'a'), ['192.168.1.0/24']);
  assert.deepEqual(entriesText(table, 'b'), ['192.168.0.0/24']);
  assert.equal(table.remove(cidr('192.168.0.0/24'), 'a'), false, "no longer a's to remove");
  assert.equal(lookupText(table, '192.168.0.1'), 'b');
});

test('remove only takes a network from its owner, and only an exact network', () => {
  const table = new AllowedIps<string>();
  table.insert(cidr('10.0.0.0/8'), 'a');
  assert.equal(table.remove(cidr('10.0.0.0/8'), 'b'), false);
  assert.equal(table.remove(cidr('10.0.0.0/16'), 'a'), false);
  assert.equal(table.remove(cidr('10.0.0.0/7'), 'a'), false);
  assert.equal(table.remove(cidr('::/0'), 'a'), false);
  assert.equal(lookupText(table, '10.0.0.1'), 'a');
  assert.equal(table.remove(cidr('10.0.0.0/8'), 'a'), true);
  assert.equal(table.remove(cidr('10.0.0.0/8'), 'a'), false);
  assert.equal(lookupText(table, '10.0.0.1'), undefined);
});

test('removing a network in the middle keeps the networks around it', () => {
  const table = new AllowedIps<string>();
  table.insert(cidr('10.0.0.0/8'), 'outer');
  table.insert(cidr('10.1.0.0/16'), 'middle');
  table.insert(cidr('10.1.1.0/24'), 'inner-1');
  table.insert(cidr('10.1.2.0/24'), 'inner-2');
  assert.ok(table.remove(cidr('10.1.0.0/16'), 'middle'));
  assert.equal(lookupText(table, '10.1.1.1'), 'inner-1');
  assert.equal(lookupText(table, '10.1.2.1'), 'inner-2');
  assert.equal(lookupText(table, '10.1.3.1'), 'outer');
  assert.ok(table.remove(cidr('10.1.1.0/24'), 'inner-1'));
  assert.equal(lookupText(table, '10.1.1.1'), 'outer');
  assert.equal(lookupText(table, '10.1.2.1'), 'inner-2');
});

test('removeValue takes every network of that value and nothing else', () => {
  const table = new AllowedIps<string>();
  table.insert(cidr('10.0.0.0/8'), 'a');
  table.insert(cidr('10.1.0.0/16'), 'b');
  table.insert(cidr('10.1.1.0/24'), 'a');
  table.insert(cidr('fd00::/8'), 'a');
  table.removeValue('a');
  assert.deepEqual(table.entriesFor('a'), []);
  assert.equal(lookupText(table, '10.1.1.1'), 'b');
  assert.equal(lookupText(table, '10.2.0.1'), undefined);
  assert.equal(lookupText(table, 'fd00::1'), undefined);
  table.removeValue('nobody');
  assert.deepEqual(entriesText(table, 'b'), ['10.1.0.0/16']);
});

test('entriesFor lists networks in the order they were given, and copies them', () => {
  const table = new AllowedIps<string>();
  for (const text of ['10.0.0.0/24', 'fd00::/64', '0.0.0.0/0', '192.168.7.1/32']) table.insert(cidr(text), 'a');
  assert.deepEqual(entriesText(table, 'a'), ['10.0.0.0/24', 'fd00::/64', '0.0.0.0/0', '192.168.7.1/32']);
  table.insert(cidr('10.0.0.0/24'), 'a');
  assert.deepEqual(entriesText(table, 'a'), ['fd00::/64', '0.0.0.0/0', '192.168.7.1/32', '10.0.0.0/24']);
  table.entriesFor('a')[0]!.bytes.fill(0xff);
  assert.deepEqual(entriesText(table, 'a')[0], 'fd00::/64');
});

test('lookup reads the address at an offset inside a packet', () => {
  const table = new AllowedIps<string>();
  table.insert(cidr('10.0.0.0/24'), 'v4');
  table.insert(cidr('fd00::/64'), 'v6');
  const ipv4Header = new Uint8Array(20).fill(0xee);
  ipv4Header.set([10, 0, 0, 9], 16);
  assert.equal(table.lookup(4, ipv4Header, 16), 'v4');
  assert.equal(table.lookup(4, ipv4Header, 12), undefined);
  const ipv6Header = new Uint8Array(40).fill(0xee);
  ipv6Header.set(parseIpAddress('fd00::42')!.bytes, 24);
  assert.equal(table.lookup(6, ipv6Header, 24), 'v6');
  assert.equal(table.lookup(6, ipv6Header, 8), undefined);
});

test('clear removes everything', () => {
  const table = new AllowedIps<string>();
  table.insert(cidr('0.0.0.0/0'), 'a');
  table.insert(cidr('::/0'), 'a');
  table.clear();
  assert.equal(lookupText(table, '1.1.1.1'), undefined);
  assert.equal(lookupText(table, '::1'), undefined);
  assert.deepEqual(table.entriesFor('a'), []);
  table.insert(cidr('1.0.0.0/8'), 'b');
  assert.equal(lookupText(table, '1.1.1.1'), 'b');
});

// Addresses drawn mostly from a few byte values, so that networks nest and collide.
const byteArbitrary = fc.oneof(fc.constantFrom(0, 1, 10, 0x80, 0xc0, 0xfe, 0xff), fc.integer({ min: 0, max: 255 }));
const familyArbitrary = fc.constantFrom<IpFamily>(4, 6);
const addressArbitrary = (family: IpFamily) => {
  const length = family === 4 ? 4 : 16;
  return fc.array(byteArbitrary, { minLength: length, maxLength: length }).map((bytes) => Uint8Array.from(bytes));
};
const prefixArbitrary = (family: IpFamily) => {
  const bits = family === 4 ? 32 : 128;
  return fc.oneof(fc.constantFrom(0, 1, 7, 8, 9, 16, 24, 31, bits - 1, bits), fc.integer({ min: 0, max: bits }));
};
const cidrArbitrary: fc.Arbitrary<Cidr> = familyArbitrary.chain((family) =>
  fc.record({ family: fc.constant(family), bytes: addressArbitrary(family), prefix: prefixArbitrary(family) }),
);
const peerArbitrary = fc.integer({ min: 0, max: 4 });

type Operation =
  | { kind: 'insert'; network: Cidr; peer: number }
  | { kind: 'remove'; network: Cidr; peer: number }
  | { kind: 'removeExisting'; index: number; peer: number; owner: boolean }
  | { kind: 'removeValue'; peer: number }
  | { kind: 'lookup'; family: IpFamily; address: Uint8Array }
  | { kind: 'lookupInside'; index: number; address: Uint8Array }
  | { kind: 'clear' };

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ kind: fc.constant('insert' as const), network: cidrArbitrary, peer: peerArbitrary }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('remove' as const), network: cidrArbitrary, peer: peerArbitrary }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('removeExisting' as const),
      index: fc.nat(),
      peer: peerArbitrary,
      owner: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeValue' as const), peer: peerArbitrary }) },
  {
    weight: 6,
    arbitrary: familyArbitrary.chain((family) =>
      fc.record({
        kind: fc.constant('lookup' as const),
        family: fc.constant(family),
        address: addressArbitrary(family),
      }),
    ),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('lookupInside' as const),
      index: fc.nat(),
      address: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

/** Looks the address up from inside a larger buffer, as the engine does with packets. */
function lookupInPacket(table: AllowedIps<number>, family: IpFamily, address: Uint8Array): number | undefined {
  const offset = family === 4 ? 16 : 24;
  const packet = new Uint8Array(offset + address.length + 7).fill(0xa5);
  packet.set(address, offset);
  return table.lookup(family, packet, offset);
}

test('agrees with a linear table under random inserts, removals and lookups', () => {
  fc.assert(
    fc.property(fc.array(operationArbitrary, { minLength: 1, maxLength: 120 }), (operations) => {
      const table = new AllowedIps<number>();
      const model = new NaiveTable<number>();
      for (const operation of operations) {
        switch (operation.kind) {
          case 'insert':
            table.insert(operation.network, operation.peer);
            model.insert(operation.network, operation.peer);
            break;
          case 'remove':
            assert.equal(
              table.remove(operation.network, operation.peer),
              model.remove(operation.network, operation.peer),
            );
            break;
          case 'removeExisting': {
            const entry = model.entries[operation.index % Math.max(model.entries.length, 1)];
            if (!entry) break;
            const peer = operation.owner ? entry.value : operation.peer;
            assert.equal(table.remove(entry.network, peer), model.remove(entry.network, peer));
            break;
          }
          case 'removeValue':
            table.removeValue(operation.peer);
            model.removeValue(operation.peer);
            break;
          case 'lookup':
            assert.equal(
              lookupInPacket(table, operation.family, operation.address),
              model.lookup(operation.family, operation.address),
            );
            break;
          case 'lookupInside': {
            const entry = model.entries[operation.index % Math.max(model.entries.length, 1)];
            if (!entry) break;
            const { family, bytes, prefix } = entry.network;
            const address = operation.address.slice(0, bytes.length);
            for (let i = 0; i < prefix; i++) {
              const mask = 0x80 >> (i & 7);
              address[i >> 3] = bit(bytes, i) ? address[i >> 3]! | mask : address[i >> 3]! & ~mask;
            }
            assert.equal(lookupInPacket(table, family, address), model.lookup(family, address));
            break;
          }
          case 'clear':
            table.clear();
            model.entries = [];
            break;
        }
      }
      for (let peer = 0; peer <= 4; peer++) {
        assert.deepEqual(
          table.entriesFor(peer).map(formatCidr),
          model.entriesFor(peer).map(formatCidr),
          `peer ${peer}`,
        );
      }
      for (const { network } of model.entries) {
        assert.equal(lookupInPacket(table, network.family, network.bytes), model.lookup(network.family, network.bytes));
      }
    }),
    { numRuns: 400 },
  );
});
