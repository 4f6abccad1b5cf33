// The Wintun session of the Windows addon (tun_wintun.c) under Wine, against
// a stand-in wintun.dll (test/win32/support/fake_wintun.c: Wintun's exports,
// with a loopback for an OS, since Wine has no Wintun driver): the DLL loaded
// from the path given, the adapter asked for by name, tunnel type and the
// name's GUID, packets written into the send ring in one call per batch and
// read from the receive ring in batches by the reader thread, a full ring
// refusing the rest, and the adapter closed with the device.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { loadKoffi } from '../../helper/src/os/win32/koffi.js';
import { adapterGuid, formatGuid, MAX_BATCH_PACKETS, WintunTun } from '../../helper/src/os/win32/wintun.js';
import type { PacketBatch } from '../../helper/src/os/tun.js';

const FAKE_DLL = resolve('helper', 'native', 'build-win32', 'fake_wintun.dll');
const MTU = { mtu: () => 1420, setMtu: () => {} };

function fake() {
  const library = loadKoffi().load(FAKE_DLL);
  return {
    lastAdapter: library.func(
      'void __stdcall FakeWintunLastAdapter(_Out_ uint16_t *name, _Out_ uint16_t *type, _Out_ uint8_t *guid)',
    ),
    openAdapters: library.func('int32 __stdcall FakeWintunOpenAdapters()') as () => number,
  };
}

function text(units: Uint16Array): string {
  const end = units.indexOf(0);
  return String.fromCharCode(...units.subarray(0, end < 0 ? units.length : end));
}

function packet(index: number): Uint8Array {
  const bytes = new Uint8Array(40 + ((index * 37) % 1400));
  bytes[0] = 0x45;
  new DataView(bytes.buffer).setUint32(4, index);
  bytes.fill(index & 0xff, 8);
  return bytes;
}

test('the adapter: asked for by the tunnel name, as Wirefly, with a GUID the name alone decides', () => {
  assert.deepEqual(adapterGuid('wg0'), adapterGuid('wg0'));
  assert.notDeepEqual(adapterGuid('wg0'), adapterGuid('wg1'));
  assert.match(
    formatGuid(adapterGuid('wg0')),
    /^\{[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}\}$/,
  );
  const { lastAdapter, openAdapters } = fake();
  const tun = new WintunTun('wf-test', MTU, { dllPath: FAKE_DLL });
  try {
    const name = new Uint16Array(128);
    const type = new Uint16Array(128);
    const guid = new Uint8Array(16);
    lastAdapter(name, type, guid);
    assert.deepEqual([text(name), text(type)], ['wf-test', 'Wirefly']);
    assert.deepEqual(guid, adapterGuid('wf-test'));
    assert.equal(tun.luid, 0x0006000000001234n);
    assert.equal(openAdapters(), 1);
  } finally {
    tun.close();
  }
  assert.equal(openAdapters(), 0, 'closing the device closes (and so removes) the adapter');
  assert.equal(tun.writePackets([packet(1)]), 0);
});

test('packets through the rings in batches, in order, byte for byte', async () => {
  const tun = new WintunTun('wf-rings', MTU, { dllPath: FAKE_DLL });
  try {
    const received: Uint8Array[] = [];
    const batchSizes: number[] = [];
    const all = new Promise<void>((done) => {
      tun.onPackets((batch: PacketBatch) => {
        batchSizes.push(batch.count);
        for (let i = 0; i < batch.count; i++) received.push(batch.packet(i).slice());
        if (received.length === 1000) done();
      });
    });
    const sent = Array.from({ length: 1000 }, (_, i) => packet(i));
    for (let first = 0; first < sent.length; first += 250) {
      assert.equal(tun.writePackets(sent.slice(first, first + 250)), 250);
    }
    await all;
    assert.deepEqual(received, sent);
    assert.ok(
      batchSizes.every((size) => size >= 1 && size <= MAX_BATCH_PACKETS),
      String(batchSizes),
    );
    assert.ok(batchSizes.length < sent.length / 4, `${batchSizes.length} batches for ${sent.length} packets`);
  } finally {
    tun.close();
  }
});

test('a full send ring takes what fits and refuses the rest; a missing DLL is a clear error', () => {
  const tun = new WintunTun('wf-full', MTU, { dllPath: FAKE_DLL });
  try {
    tun.pause();
    const big = new Uint8Array(65535);
    big[0] = 0x45;
    // The ring holds 8 MiB: 128 packets of 64 KiB, and not a 129th, while nothing reads it.
    assert.equal(tun.writePackets(Array.from({ length: 200 }, () => big)), 128);
  } finally {
    tun.close();
  }
  assert.throws(
    () => new WintunTun('wf-none', MTU, { dllPath: resolve('no-such-wintun.dll') }),
    /loading wintun\.dll failed/,
  );
  assert.throws(() => new WintunTun('bad\\name', MTU, { dllPath: FAKE_DLL }), /cannot name a Wintun adapter/);
});
