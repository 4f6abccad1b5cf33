// What of IP Helper Wine 8 has: ConvertInterfaceAliasToLuid, and the tables
// GetUnicastIpAddressTable and GetIpForwardTable2, which are read here with the
// row offsets and sockaddr decoding the Windows network code writes rows with,
// so that the layouts are checked against Wine's own. Wine has none of the
// calls that change anything (CreateUnicastIpAddressEntry,
// CreateIpForwardEntry2, SetIpInterfaceEntry, SetInterfaceDnsSettings) nor
// GetBestRoute2 and WFP: those run only through the recording binding
// (test/unit/network-win32.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { formatIpAddress } from '../../helper/src/net/ip.js';
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
