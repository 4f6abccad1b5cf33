// What of IP Helper Wine 8 has: ConvertInterfaceAliasToLuid, and the tables
// GetUnicastIpAddressTable and GetIpForwardTable2, which are read here with the
// row offsets and sockaddr decoding the Windows network code writes rows with,
// so that the layouts are checked against Wine's own; the binding's own read
// of GetIpForwardTable2 (what the endpoint host routes follow); and
// NotifyRouteChange2 and CancelMibChangeNotify2, which Wine 8 accepts but
// stubs (NO_ERROR, a NULL handle, never a call back). Wine has none of the
// calls that change anything (CreateUnicastIpAddressEntry,
// CreateIpForwardEntry2, SetIpInterfaceEntry, SetInterfaceDnsSettings) nor
// GetBestRoute2 (ERROR_NOT_SUPPORTED), GetIpInterfaceEntry (not exported) and
// WFP: those run only through the recording binding
// (test/unit/network-win32.test.ts). Without SetInterfaceDnsSettings, Wine is
// a Windows older than 10 2004 to the DNS code, which refuses there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { formatCidr, formatIpAddress, parseIpAddress } from '../../helper/src/net/ip.js';
import { loadKoffi } from '../../helper/src/os/win32/koffi.js';
import { ADDRESS_ROW, FORWARD_ROW, koffiNetworkApi, readSockaddr } from '../../helper/src/os/win32/koffi-network.js';

function table(name: string, rowSize: number): Uint8Array[] {
  const koffi = loadKoffi();
  const iphlpapi = koffi.load('iphlpapi.dll');
  const read = iphlpapi.func(`uint32 __stdcall ${name}(uint16 family, _Out_ void **table)`);
  const free = iphlpapi.func('void __stdcall FreeMibTable(void *table)');
  const pointer: [unknown] = [null];
  assert.equal(read(0, pointer), 0, name);
  try {
    const count = koffi.decode(pointer[0], 'uint32') as number;
    // The rows start at offset 8 (NumEntries, then the 8-aligned array).
    const bytes = new Uint8Array(koffi.view(pointer[0], 8 + count * rowSize)).slice();
    return Array.from({ length: count }, (_, i) => bytes.subarray(8 + i * rowSize, 8 + (i + 1) * rowSize));
  } finally {
    free(pointer[0]);
  }
}

test('ConvertInterfaceAliasToLuid, and the unicast address rows: 127.0.0.1/8 on lo', () => {
  const api = koffiNetworkApi();
  const lo = api.interfaceLuid('lo');
  assert.ok(lo > 0n);
  assert.throws(
    () => api.interfaceLuid('no-such-interface'),
    /ConvertInterfaceAliasToLuid\(no-such-interface\) failed/,
  );
  const rows = table('GetUnicastIpAddressTable', ADDRESS_ROW.size).map((row) => ({
    address: readSockaddr(row, ADDRESS_ROW.address),
    luid: new DataView(row.buffer, row.byteOffset).getBigUint64(ADDRESS_ROW.luid, true),
    prefix: row[ADDRESS_ROW.prefixLength],
  }));
  const loopback = rows.find((row) => row.address && formatIpAddress(row.address) === '127.0.0.1');
  assert.deepEqual(loopback && { luid: loopback.luid, prefix: loopback.prefix }, { luid: lo, prefix: 8 });
});

test("the forward rows: each route on a known interface's LUID, with a sane prefix", () => {
  const api = koffiNetworkApi();
  const luids = new Set(
    Object.keys(networkInterfaces()).flatMap((name) => {
      try {
        return [api.interfaceLuid(name)];
      } catch {
        return [];
      }
    }),
  );
  const rows = table('GetIpForwardTable2', FORWARD_ROW.size);
  assert.ok(rows.length > 0, 'Wine reports the host routes');
  for (const row of rows) {
    const luid = new DataView(row.buffer, row.byteOffset).getBigUint64(FORWARD_ROW.luid, true);
    const destination = readSockaddr(row, FORWARD_ROW.prefix);
    const prefix = row[FORWARD_ROW.prefixLength]!;
    assert.ok(luids.has(luid), `route on LUID ${luid}`);
    assert.ok(destination, 'a destination of a known family');
    assert.ok(prefix <= (destination.family === 4 ? 32 : 128), `prefix ${prefix}`);
    assert.ok(readSockaddr(row, FORWARD_ROW.nextHop)?.family === destination.family, 'next hop of the same family');
  }
});

test("the binding's forward table: GetIpForwardTable2's rows of each family, as the raw rows read them", () => {
  const api = koffiNetworkApi();
  const raw = table('GetIpForwardTable2', FORWARD_ROW.size).map((row) => {
    const destination = readSockaddr(row, FORWARD_ROW.prefix)!;
    const nextHop = readSockaddr(row, FORWARD_ROW.nextHop)!;
    const data = new DataView(row.buffer, row.byteOffset);
    return [
      data.getBigUint64(FORWARD_ROW.luid, true),
      formatCidr({ ...destination, prefix: row[FORWARD_ROW.prefixLength]! }),
      nextHop.bytes.every((byte) => byte === 0) ? 'on-link' : formatIpAddress(nextHop),
      data.getUint32(FORWARD_ROW.metric, true),
      destination.family,
    ].join(' ');
  });
  const read = ([4, 6] as const).flatMap((family) =>
    api
      .forwardTable(family)
      .map((route) =>
        [
          route.luid,
          formatCidr(route.destination),
          route.nextHop ? formatIpAddress(route.nextHop) : 'on-link',
          route.metric,
          family,
        ].join(' '),
      ),
  );
  assert.ok(
    read.some((route) => route.includes(' 0.0.0.0/0 ')),
    'a default route',
  );
  assert.deepEqual(read.sort(), raw.sort());
});

test('watching routes: NotifyRouteChange2 takes the callback, and CancelMibChangeNotify2 returns from a worker thread', async () => {
  const api = koffiNetworkApi();
  // Wine 8 never calls back (its NotifyRouteChange2 is a stub), so only the registering and the stopping run here.
  const stop = api.watchRoutes(() => {});
  const other = api.watchRoutes(() => {});
  const stopping = stop();
  assert.equal(stop(), stopping, 'stopping twice is the one cancellation');
  await Promise.all([stopping, other()]);
});

test("koffi runs a callback that a thread of Windows' own makes on the event loop, as NotifyRouteChange2's are", async () => {
  const koffi = loadKoffi();
  const kernel32 = koffi.load('kernel32.dll');
  const ThreadProc = koffi.proto('uint32 __stdcall WireflyTestThreadProc(void *parameter)');
  const createThread = kernel32.func(
    'void * __stdcall CreateThread(void *attributes, uintptr_t stack, WireflyTestThreadProc *start, void *parameter, uint32 flags, _Out_ uint32 *id)',
  );
  const waitForObject = kernel32.func('uint32 __stdcall WaitForSingleObject(void *handle, uint32 milliseconds)');
  const closeHandle = kernel32.func('int __stdcall CloseHandle(void *handle)');
  const currentThread = kernel32.func('uint32 __stdcall GetCurrentThreadId()');
  const ranOn: number[] = [];
  const callback = koffi.register(() => {
    ranOn.push(currentThread() as number);
    return 7;
  }, koffi.pointer(ThreadProc));
  try {
    const id: [number] = [0];
    const thread = createThread(null, 0, callback, null, 0, id) as unknown;
    assert.ok(thread);
    // Waiting on this thread would hold the callback up for ever: the wait runs on a koffi worker.
    const waited = await new Promise<number>((resolve, reject) =>
      waitForObject.async(thread, 5000, (error: unknown, result: number) =>
        error ? reject(error as Error) : resolve(result),
      ),
    );
    closeHandle(thread);
    assert.equal(waited, 0, 'WAIT_OBJECT_0');
    assert.deepEqual(ranOn, [currentThread()], 'on the event loop thread, not the new one');
    assert.notEqual(ranOn[0], id[0]);
  } finally {
    koffi.unregister(callback);
  }
});

test('DNS where iphlpapi.dll has no SetInterfaceDnsSettings (Wine 8, as Windows before 10 version 2004): a clear refusal; clearing is no error', () => {
  const api = koffiNetworkApi();
  const lo = api.interfaceLuid('lo');
  assert.throws(
    () => api.setDns(lo, 4, [parseIpAddress('10.8.0.1')!], ['corp.example']),
    /^Error: DNS = needs Windows 10 version 2004 or later \(iphlpapi.dll has no SetInterfaceDnsSettings\)/,
  );
  api.clearDns(lo, 4);
  api.clearDns(lo, 6);
});
