// Measures what decided the addon vs koffi split on Windows, on Windows Node
// (here under Wine): a packet through the Wintun rings by the addon's one call
// per batch against the same packet by koffi calls per packet (against the
// suite's stand-in wintun.dll, so the cost is the crossing, not a driver), one
// bare koffi call, and the transport AEAD in the addon against @noble/ciphers.
// Run: wine node.exe dist/test/win32/measure-split.js > out.txt
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { seal } from '../../helper/src/crypto/aead.js';
import { loadKoffi } from '../../helper/src/os/win32/koffi.js';
import { WintunTun } from '../../helper/src/os/win32/wintun.js';

const FAKE_DLL = resolve('helper', 'native', 'build-win32', 'fake_wintun.dll');
const PACKETS = 4096 * 5;
const SIZE = 1420;

function perPacket(label: string, count: number, run: () => void): void {
  run();
  const start = performance.now();
  run();
  const ns = ((performance.now() - start) * 1e6) / count;
  process.stdout.write(`${label}: ${ns.toFixed(0)} ns per packet\n`);
}

async function addonRings(): Promise<void> {
  const tun = new WintunTun('wf-measure', { mtu: () => SIZE, setMtu: () => {} }, { dllPath: FAKE_DLL });
  const packets = Array.from({ length: 128 }, () => new Uint8Array(SIZE).fill(0x45));
  let received = 0;
  let wake: (() => void) | undefined;
  tun.onPackets((batch) => {
    received += batch.count;
    wake?.();
  });
  // Rounds of 4096 packets: an 8 MiB ring holds about 5900 of them while the reader catches up.
  const round = async () => {
    for (let done = 0; done < PACKETS; done += 4096) {
      received = 0;
      for (let sent = 0; sent < 4096; sent += packets.length) tun.writePackets(packets);
      while (received < 4096) await new Promise<void>((next) => (wake = next));
    }
  };
  await round();
  const start = performance.now();
  await round();
  const ns = ((performance.now() - start) * 1e6) / PACKETS;
  process.stdout.write(
    `Wintun rings through the addon (write batch of 128, reader thread, one JS call per batch): ${ns.toFixed(0)} ns per packet\n`,
  );
  tun.close();
}

function koffiRings(): void {
  const koffi = loadKoffi();
  const dll = koffi.load(FAKE_DLL);
  const create = dll.func('void * __stdcall WintunCreateAdapter(str16 name, str16 type, void *guid)');
  const close = dll.func('void __stdcall WintunCloseAdapter(void *adapter)');
  const start = dll.func('void * __stdcall WintunStartSession(void *adapter, uint32 capacity)');
  const end = dll.func('void __stdcall WintunEndSession(void *session)');
  const allocate = dll.func('void * __stdcall WintunAllocateSendPacket(void *session, uint32 size)');
  const send = dll.func('void __stdcall WintunSendPacket(void *session, void *packet)');
  const receive = dll.func('void * __stdcall WintunReceivePacket(void *session, _Out_ uint32 *size)');
  const release = dll.func('void __stdcall WintunReleaseReceivePacket(void *session, void *packet)');
  const adapter = create('wf-koffi', 'Wirefly', null);
  const session = start(adapter, 0x800000);
  const packet = new Uint8Array(SIZE).fill(0x45);
  const copy = new Uint8Array(SIZE);
  const size: [number] = [0];
  perPacket(
    'Wintun rings through koffi (allocate, copy, send; receive, copy, release: six calls per packet, in runs of 128)',
    PACKETS,
    () => {
      for (let i = 0; i < PACKETS; i += 128) {
        for (let j = 0; j < 128; j++) {
          const slot = allocate(session, SIZE);
          new Uint8Array(koffi.view(slot, SIZE)).set(packet);
          send(session, slot);
        }
        for (let j = 0; j < 128; j++) {
          const back = receive(session, size);
          copy.set(new Uint8Array(koffi.view(back, size[0])));
          release(session, back);
        }
      }
    },
  );
  end(session);
  close(adapter);
}

function bareCalls(): void {
  const pid = loadKoffi().load('kernel32.dll').func('uint32 __stdcall GetCurrentProcessId()');
  perPacket('one koffi call (GetCurrentProcessId)', 200_000, () => {
    for (let i = 0; i < 200_000; i++) pid();
  });
}

function aead(): void {
  const key = new Uint8Array(32).fill(7);
  const plaintext = new Uint8Array(SIZE);
  perPacket('ChaCha20-Poly1305, 1420 bytes, the addon', 20_000, () => {
    for (let i = 0; i < 20_000; i++) seal(key, BigInt(i), plaintext);
  });
  const nonce = new Uint8Array(12);
  perPacket('ChaCha20-Poly1305, 1420 bytes, @noble/ciphers', 5_000, () => {
    for (let i = 0; i < 5_000; i++) chacha20poly1305(key, nonce).encrypt(plaintext);
  });
}

bareCalls();
koffiRings();
await addonRings();
aead();
