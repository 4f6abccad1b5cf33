// Win32NetworkApi over iphlpapi.dll and fwpuclnt.dll through koffi. The IP
// Helper rows (MIB_UNICASTIPADDRESS_ROW, MIB_IPFORWARD_ROW2,
// MIB_IPINTERFACE_ROW) are filled as bytes at their x64 offsets after the
// Initialize* call that gives every other field its default; WFP's structures
// are koffi structs.
import { formatIpAddress, type Cidr, type IpAddress, type IpFamily } from '../../net/ip.js';
import type { KoffiFunc } from 'koffi';
import type {
  BestRoute,
  FirewallSession,
  InterfaceRouting,
  InterfaceSettings,
  WfpCondition,
  WfpFilter,
  Win32NetworkApi,
  Win32Route,
} from './api.js';
import { WFP_PROVIDER_KEY, WFP_SUBLAYER_KEY } from './api.js';
import { declare, loadKoffi, Win32Error, type TypeObject } from './koffi.js';

const AF_UNSPEC = 0;
const AF_INET = 2;
const AF_INET6 = 23;
const ERROR_NOT_FOUND = 1168;
const ERROR_OBJECT_ALREADY_EXISTS = 5010;
const ERROR_FILE_NOT_FOUND = 2;
const FWP_E_NOT_FOUND = 0x80320002;
const FWP_E_SUBLAYER_NOT_FOUND = 0x80320007;
const FWP_E_PROVIDER_NOT_FOUND = 0x80320005;
const MIB_IPPROTO_NETMGMT = 3;
const IP_DAD_STATE_PREFERRED = 4;

// Offsets in the x64 layouts of netioapi.h.
export const ADDRESS_ROW = { size: 80, address: 0, luid: 32, prefixLength: 60, dadState: 64 } as const;
export const FORWARD_ROW = {
  size: 104,
  luid: 0,
  prefix: 12,
  prefixLength: 40,
  nextHop: 44,
  metric: 84,
  protocol: 88,
} as const;
const INTERFACE_ROW = {
  size: 168,
  family: 0,
  luid: 8,
  automaticMetric: 44,
  sitePrefixLength: 144,
  metric: 148,
  mtu: 152,
  connected: 156,
} as const;
/** A MIB_*_TABLE2: NumEntries, then the rows from the next 8-aligned offset. */
const TABLE_ROWS = 8;
const SOCKADDR_INET_SIZE = 28;

type Row = Uint8Array;
const iphlpapi = 'iphlpapi.dll';
const aliasToLuid = declare<(alias: string, luid: [bigint]) => number>(
  iphlpapi,
  'uint32 __stdcall ConvertInterfaceAliasToLuid(str16 alias, _Out_ uint64 *luid)',
);
const initializeAddressRow = declare<(row: Row) => void>(
  iphlpapi,
  'void __stdcall InitializeUnicastIpAddressEntry(_Inout_ uint8_t *row)',
);
const createAddress = declare<(row: Row) => number>(
  iphlpapi,
  'uint32 __stdcall CreateUnicastIpAddressEntry(uint8_t *row)',
);
const deleteAddress = declare<(row: Row) => number>(
  iphlpapi,
  'uint32 __stdcall DeleteUnicastIpAddressEntry(uint8_t *row)',
);
const initializeForwardRow = declare<(row: Row) => void>(
  iphlpapi,
  'void __stdcall InitializeIpForwardEntry(_Inout_ uint8_t *row)',
);
const createRoute = declare<(row: Row) => number>(iphlpapi, 'uint32 __stdcall CreateIpForwardEntry2(uint8_t *row)');
const deleteRoute = declare<(row: Row) => number>(iphlpapi, 'uint32 __stdcall DeleteIpForwardEntry2(uint8_t *row)');
const bestRoute = declare<
  (luid: null, index: number, source: null, destination: Row, options: number, route: Row, best: Row) => number
>(
  iphlpapi,
  'uint32 __stdcall GetBestRoute2(uint64 *luid, uint32 index, uint8_t *source, uint8_t *destination, uint32 options, _Out_ uint8_t *route, _Out_ uint8_t *bestSource)',
);
const getInterface = declare<(row: Row) => number>(
  iphlpapi,
  'uint32 __stdcall GetIpInterfaceEntry(_Inout_ uint8_t *row)',
);
const setInterface = declare<(row: Row) => number>(iphlpapi, 'uint32 __stdcall SetIpInterfaceEntry(uint8_t *row)');
const readForwardTable = declare<(family: number, table: [unknown]) => number>(
  iphlpapi,
  'uint32 __stdcall GetIpForwardTable2(uint16 family, _Out_ void **table)',
);
const freeMibTable = declare<(table: unknown) => void>(iphlpapi, 'void __stdcall FreeMibTable(void *table)');
const luidToGuid = declare<(luid: [bigint], guid: Uint8Array) => number>(
  iphlpapi,
  'uint32 __stdcall ConvertInterfaceLuidToGuid(uint64 *luid, _Out_ uint8_t *guid)',
);

function check(call: string, status: number, ...tolerated: number[]): void {
  if (status !== 0 && !tolerated.includes(status >>> 0)) throw new Win32Error(call, status >>> 0);
}

export function writeSockaddr(row: Row, offset: number, address: IpAddress): void {
  const view = new DataView(row.buffer, row.byteOffset, row.byteLength);
  row.fill(0, offset, offset + SOCKADDR_INET_SIZE);
  view.setUint16(offset, address.family === 4 ? AF_INET : AF_INET6, true);
  row.set(address.bytes, offset + (address.family === 4 ? 4 : 8));
}

export function readSockaddr(row: Row, offset: number): IpAddress | undefined {
  const family = new DataView(row.buffer, row.byteOffset, row.byteLength).getUint16(offset, true);
  if (family === AF_INET) return { family: 4, bytes: row.slice(offset + 4, offset + 8) };
  if (family === AF_INET6) return { family: 6, bytes: row.slice(offset + 8, offset + 24) };
  return undefined;
}

function isUnspecified(address: IpAddress): boolean {
  return address.bytes.every((byte) => byte === 0);
}

function view(row: Row): DataView {
  return new DataView(row.buffer, row.byteOffset, row.byteLength);
}

export function addressRow(luid: bigint, address: Cidr): Row {
  const row = new Uint8Array(ADDRESS_ROW.size);
  initializeAddressRow()(row);
  writeSockaddr(row, ADDRESS_ROW.address, address);
  view(row).setBigUint64(ADDRESS_ROW.luid, luid, true);
  row[ADDRESS_ROW.prefixLength] = address.prefix;
  view(row).setUint32(ADDRESS_ROW.dadState, IP_DAD_STATE_PREFERRED, true);
  return row;
}

export function forwardRow(route: Win32Route): Row {
  const row = new Uint8Array(FORWARD_ROW.size);
  initializeForwardRow()(row);
  view(row).setBigUint64(FORWARD_ROW.luid, route.luid, true);
  writeSockaddr(row, FORWARD_ROW.prefix, route.destination);
  row[FORWARD_ROW.prefixLength] = route.destination.prefix;
  const unspecified: IpAddress = {
    family: route.destination.family,
    bytes: new Uint8Array(route.destination.family === 4 ? 4 : 16),
  };
  writeSockaddr(row, FORWARD_ROW.nextHop, route.nextHop ?? unspecified);
  view(row).setUint32(FORWARD_ROW.metric, route.metric, true);
  view(row).setUint32(FORWARD_ROW.protocol, MIB_IPPROTO_NETMGMT, true);
  return row;
}

/** The interface's row as GetIpInterfaceEntry fills it (only the family and LUID are read from it), and its status. */
function queryInterface(luid: bigint, family: IpFamily): { row: Row; status: number } {
  const row = new Uint8Array(INTERFACE_ROW.size);
  view(row).setUint16(INTERFACE_ROW.family, family === 4 ? AF_INET : AF_INET6, true);
  view(row).setBigUint64(INTERFACE_ROW.luid, luid, true);
  return { row, status: getInterface()(row) >>> 0 };
}

function interfaceRow(luid: bigint, family: IpFamily): Row {
  const { row, status } = queryInterface(luid, family);
  check('GetIpInterfaceEntry', status);
  return row;
}

function readInterfaceRouting(luid: bigint, family: IpFamily): InterfaceRouting | undefined {
  const { row, status } = queryInterface(luid, family);
  if (status === ERROR_NOT_FOUND || status === ERROR_FILE_NOT_FOUND) return undefined;
  check('GetIpInterfaceEntry', status);
  return { metric: view(row).getUint32(INTERFACE_ROW.metric, true), connected: row[INTERFACE_ROW.connected] !== 0 };
}

function readInterfaceMtu(luid: bigint, family: IpFamily): number {
  return view(interfaceRow(luid, family)).getUint32(INTERFACE_ROW.mtu, true);
}

function writeInterface(luid: bigint, family: IpFamily, settings: InterfaceSettings): void {
  const row = interfaceRow(luid, family);
  if (settings.mtu !== undefined) view(row).setUint32(INTERFACE_ROW.mtu, settings.mtu, true);
  if (settings.metric !== undefined) {
    view(row).setUint32(INTERFACE_ROW.metric, settings.metric, true);
    row[INTERFACE_ROW.automaticMetric] = 0;
  }
  // SetIpInterfaceEntry refuses an IPv4 row that carries a site prefix length.
  if (family === 4) view(row).setUint32(INTERFACE_ROW.sitePrefixLength, 0, true);
  check('SetIpInterfaceEntry', setInterface()(row));
}

function findBestRoute(destination: IpAddress): BestRoute | undefined {
  const target = new Uint8Array(SOCKADDR_INET_SIZE);
  writeSockaddr(target, 0, destination);
  const route = new Uint8Array(FORWARD_ROW.size);
  const source = new Uint8Array(SOCKADDR_INET_SIZE);
  const status = bestRoute()(null, 0, null, target, 0, route, source);
  if (status === ERROR_NOT_FOUND || status === 1231 /* ERROR_NETWORK_UNREACHABLE */) return undefined;
  check('GetBestRoute2', status);
  const nextHop = readSockaddr(route, FORWARD_ROW.nextHop);
  return {
    luid: view(route).getBigUint64(FORWARD_ROW.luid, true),
    ...(nextHop && !isUnspecified(nextHop) ? { nextHop } : {}),
  };
}

export function forwardRoutes(family: IpFamily): Win32Route[] {
  const koffi = loadKoffi();
  const table: [unknown] = [null];
  const status = readForwardTable()(family === 4 ? AF_INET : AF_INET6, table);
  if (status === ERROR_NOT_FOUND) return [];
  check('GetIpForwardTable2', status);
  try {
    const count = koffi.decode(table[0], 'uint32') as number;
    const bytes = new Uint8Array(koffi.view(table[0], TABLE_ROWS + count * FORWARD_ROW.size)).slice();
    const routes: Win32Route[] = [];
    for (let i = 0; i < count; i++) {
      const row = bytes.subarray(TABLE_ROWS + i * FORWARD_ROW.size, TABLE_ROWS + (i + 1) * FORWARD_ROW.size);
      const destination = readSockaddr(row, FORWARD_ROW.prefix);
      if (!destination) continue;
      const nextHop = readSockaddr(row, FORWARD_ROW.nextHop);
      routes.push({
        luid: view(row).getBigUint64(FORWARD_ROW.luid, true),
        destination: { ...destination, prefix: row[FORWARD_ROW.prefixLength]! },
        ...(nextHop && !isUnspecified(nextHop) ? { nextHop } : {}),
        metric: view(row).getUint32(FORWARD_ROW.metric, true),
      });
    }
    return routes;
  } finally {
    freeMibTable()(table[0]);
  }
}

// Route changes: NotifyRouteChange2 calls back on a thread of IP Helper's own.
let routeChangeType: TypeObject | undefined;
function routeChangeCallback(): TypeObject {
  routeChangeType ??= loadKoffi().proto('void __stdcall WireflyRouteChange(void *context, void *row, int type)');
  return routeChangeType;
}
const notifyRouteChange = declare<
  (family: number, callback: unknown, context: null, initial: number, handle: [unknown]) => number
>(
  iphlpapi,
  'uint32 __stdcall NotifyRouteChange2(uint16 family, WireflyRouteChange *callback, void *context, uint8 initial, _Out_ void **handle)',
);
const cancelChangeNotify = declare<KoffiFunc<(handle: unknown) => number>>(
  iphlpapi,
  'uint32 __stdcall CancelMibChangeNotify2(void *handle)',
);

export function watchRouteChanges(changed: () => void): () => Promise<void> {
  const koffi = loadKoffi();
  // koffi queues a call from another thread to the event loop and holds that
  // thread until it returns: let IP Helper's thread go at once.
  const callback = koffi.register(() => void setImmediate(changed), koffi.pointer(routeChangeCallback()));
  const handle: [unknown] = [null];
  const status = notifyRouteChange()(AF_UNSPEC, callback, null, 0, handle);
  if (status !== 0) {
    koffi.unregister(callback);
    throw new Win32Error('NotifyRouteChange2', status >>> 0);
  }
  let stopped: Promise<void> | undefined;
  return () =>
    (stopped ??= new Promise((resolve, reject) => {
      // CancelMibChangeNotify2 waits for a callback under way, and koffi runs
      // that one on this thread: called from here the two would wait for each
      // other for ever, so it is called from one of koffi's worker threads.
      cancelChangeNotify().async(handle[0], (error: unknown, result: number) => {
        if (error) return reject(error as Error);
        // Still registered with IP Helper: the callback must outlive it.
        if (result !== 0) return reject(new Win32Error('CancelMibChangeNotify2', result >>> 0));
        koffi.unregister(callback);
        resolve();
      });
    }));
}

// DNS: SetInterfaceDnsSettings (Windows 10 2004 and later).
const DNS_INTERFACE_SETTINGS_VERSION1 = 1;
const DNS_SETTING_IPV6 = 0x1;
const DNS_SETTING_NAMESERVER = 0x2;
const DNS_SETTING_SEARCHLIST = 0x4;

let dnsTypes: { settings: TypeObject; guid: TypeObject } | undefined;
/** DNS_INTERFACE_SETTINGS as koffi declares it (exported for the layout test). */
export function dnsSettingsType(): { settings: TypeObject; guid: TypeObject } {
  const koffi = loadKoffi();
  dnsTypes ??= {
    settings: koffi.struct('DNS_INTERFACE_SETTINGS', {
      Version: 'uint32',
      Flags: 'uint64',
      Domain: 'str16',
      NameServer: 'str16',
      SearchList: 'str16',
      RegistrationEnabled: 'uint32',
      RegisterAdapterName: 'uint32',
      EnableLLMNR: 'uint32',
      QueryAdapterName: 'uint32',
      ProfileNameServer: 'str16',
    }),
    guid: koffi.struct('WIREFLY_GUID', { bytes: koffi.array('uint8', 16) }),
  };
  return dnsTypes;
}
const setDnsSettings = declare<(guid: { bytes: Uint8Array }, settings: object) => number>(
  iphlpapi,
  'uint32 __stdcall SetInterfaceDnsSettings(WIREFLY_GUID guid, DNS_INTERFACE_SETTINGS *settings)',
);

/** SetInterfaceDnsSettings, if this Windows has it (10 version 2004, build 19041, and later). */
function dnsSettingsCall(): ((guid: { bytes: Uint8Array }, settings: object) => number) | undefined {
  dnsSettingsType();
  try {
    return setDnsSettings();
  } catch {
    return undefined;
  }
}

function interfaceGuid(luid: bigint): Uint8Array {
  const guid = new Uint8Array(16);
  check('ConvertInterfaceLuidToGuid', luidToGuid()([luid], guid));
  return guid;
}

function writeDns(
  luid: bigint,
  family: IpFamily,
  servers: readonly IpAddress[],
  searchDomains: readonly string[],
): void {
  const call = dnsSettingsCall();
  if (!call) {
    throw new Error(
      'DNS = needs Windows 10 version 2004 or later (iphlpapi.dll has no SetInterfaceDnsSettings): update Windows, or leave DNS = out of the config',
    );
  }
  const settings = {
    Version: DNS_INTERFACE_SETTINGS_VERSION1,
    Flags: BigInt(DNS_SETTING_NAMESERVER | DNS_SETTING_SEARCHLIST | (family === 6 ? DNS_SETTING_IPV6 : 0)),
    Domain: null,
    NameServer: servers.map(formatIpAddress).join(','),
    SearchList: searchDomains.join(','),
    RegistrationEnabled: 0,
    RegisterAdapterName: 0,
    EnableLLMNR: 0,
    QueryAdapterName: 0,
    ProfileNameServer: null,
  };
  check('SetInterfaceDnsSettings', call({ bytes: interfaceGuid(luid) }, settings));
}

// WFP.
const fwpuclnt = 'fwpuclnt.dll';
const RPC_C_AUTHN_WINNT = 10;
const FWPM_SESSION_FLAG_DYNAMIC = 0x1;
const FWP_ACTION_BLOCK = 0x1001;
const FWP_ACTION_PERMIT = 0x1002;
const FWP_MATCH_EQUAL = 0;
const FWP_MATCH_FLAGS_ALL_SET = 6;
const FWP_CONDITION_FLAG_IS_LOOPBACK = 0x1;
const FWP_UINT8 = 1;
const FWP_UINT16 = 2;
const FWP_UINT32 = 3;
const FWP_UINT64 = 4;
const FWP_V4_ADDR_MASK = 0x100;
const FWP_V6_ADDR_MASK = 0x101;

const LAYER_KEYS: Readonly<Record<WfpFilter['layer'], string>> = {
  'connect-v4': 'c38d57d1-05a7-4c33-904f-7fbceee60e82',
  'connect-v6': '4a72393b-319f-44bc-84c3-ba54dcb3b6b4',
  'accept-v4': 'e1cd9fe7-f4b5-4273-96c0-592e487b8650',
  'accept-v6': 'a3b42c97-9f04-4672-b87e-cee9c483257f',
};
const CONDITION_KEYS = {
  interface: '4cd62a49-59c3-4969-b7f3-bda5d32890a4',
  flags: '632ce23b-5167-435c-86d7-e903684aa80c',
  protocol: '3971ef2b-623e-4f9a-8cb1-6e79b806b9a7',
  remoteAddress: 'b235ae9a-1d64-49b8-a44c-5ff3d9095045',
  remotePort: 'c35a604d-d22b-4e1a-91b4-68f674ee674b',
  // The ALE layers carry an ICMP message's type in the local port.
  localPort: '0c1ba1af-5765-453f-af22-a8f791ac775b',
} as const;
const PROTOCOLS = { tcp: 6, udp: 17, icmpv6: 58 } as const;

/** A GUID's in-memory bytes from its text form. */
export function guidBytes(text: string): Uint8Array {
  const hex = text.replace(/[{}-]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`not a GUID: ${text}`);
  const bytes = Uint8Array.from(hex.match(/../g)!.map((pair) => parseInt(pair, 16)));
  for (const [from, to] of [
    [0, 4],
    [4, 6],
    [6, 8],
  ] as const)
    bytes.subarray(from, to).reverse();
  return bytes;
}

interface WfpTypes {
  readonly session: TypeObject;
  readonly provider: TypeObject;
  readonly sublayer: TypeObject;
  readonly filter: TypeObject;
}
let wfpTypes: WfpTypes | undefined;

/** WFP's structures as koffi declares them (exported for the layout test). */
export function wfp(): WfpTypes {
  if (wfpTypes) return wfpTypes;
  const koffi = loadKoffi();
  // GUID's first member is a 32-bit integer: the struct is 4-aligned.
  const guid = koffi.struct('WFP_GUID', { bytes: [4, koffi.array('uint8', 16)] });
  const display = koffi.struct('FWPM_DISPLAY_DATA0', { name: 'str16', description: 'str16' });
  const blob = koffi.struct('FWP_BYTE_BLOB', { size: 'uint32', data: 'uint8_t *' });
  const v4Mask = koffi.struct('FWP_V4_ADDR_AND_MASK', { addr: 'uint32', mask: 'uint32' });
  const v6Mask = koffi.struct('FWP_V6_ADDR_AND_MASK', { addr: koffi.array('uint8', 16), prefixLength: 'uint8' });
  const value = koffi.union('FWP_VALUE_UNION', {
    uint8: 'uint8',
    uint16: 'uint16',
    uint32: 'uint32',
    uint64: koffi.pointer('uint64'),
    v4AddrMask: koffi.pointer(v4Mask),
    v6AddrMask: koffi.pointer(v6Mask),
  });
  const fwpValue = koffi.struct('FWP_VALUE0', { type: 'uint32', value });
  const condition = koffi.struct('FWPM_FILTER_CONDITION0', {
    fieldKey: guid,
    matchType: 'uint32',
    conditionValue: fwpValue,
  });
  const action = koffi.struct('FWPM_ACTION0', { type: 'uint32', filterType: guid });
  wfpTypes = {
    session: koffi.struct('FWPM_SESSION0', {
      sessionKey: guid,
      displayData: display,
      flags: 'uint32',
      txnWaitTimeoutInMSec: 'uint32',
      processId: 'uint32',
      sid: 'void *',
      username: 'str16',
      kernelMode: 'int',
    }),
    provider: koffi.struct('FWPM_PROVIDER0', {
      providerKey: guid,
      displayData: display,
      flags: 'uint32',
      providerData: blob,
      serviceName: 'str16',
    }),
    sublayer: koffi.struct('FWPM_SUBLAYER0', {
      subLayerKey: guid,
      displayData: display,
      flags: 'uint32',
      providerKey: koffi.pointer(guid),
      providerData: blob,
      weight: 'uint16',
    }),
    filter: koffi.struct('FWPM_FILTER0', {
      filterKey: guid,
      displayData: display,
      flags: 'uint32',
      providerKey: koffi.pointer(guid),
      providerData: blob,
      layerKey: guid,
      subLayerKey: guid,
      weight: fwpValue,
      numFilterConditions: 'uint32',
      filterCondition: koffi.pointer(condition),
      action,
      // A union of a UINT64 and a GUID: 8-aligned.
      providerContextKey: [8, guid],
      reserved: 'void *',
      filterId: 'uint64',
      effectiveWeight: fwpValue,
    }),
  };
  return wfpTypes;
}

const engineOpen = declare<(server: null, authn: number, identity: null, session: object, engine: [unknown]) => number>(
  fwpuclnt,
  'uint32 __stdcall FwpmEngineOpen0(str16 server, uint32 authn, void *identity, FWPM_SESSION0 *session, _Out_ void **engine)',
);
const engineClose = declare<(engine: unknown) => number>(fwpuclnt, 'uint32 __stdcall FwpmEngineClose0(void *engine)');
const transactionBegin = declare<(engine: unknown, flags: number) => number>(
  fwpuclnt,
  'uint32 __stdcall FwpmTransactionBegin0(void *engine, uint32 flags)',
);
const transactionCommit = declare<(engine: unknown) => number>(
  fwpuclnt,
  'uint32 __stdcall FwpmTransactionCommit0(void *engine)',
);
const transactionAbort = declare<(engine: unknown) => number>(
  fwpuclnt,
  'uint32 __stdcall FwpmTransactionAbort0(void *engine)',
);
const providerAdd = declare<(engine: unknown, provider: object, sd: null) => number>(
  fwpuclnt,
  'uint32 __stdcall FwpmProviderAdd0(void *engine, FWPM_PROVIDER0 *provider, void *sd)',
);
const sublayerAdd = declare<(engine: unknown, sublayer: object, sd: null) => number>(
  fwpuclnt,
  'uint32 __stdcall FwpmSubLayerAdd0(void *engine, FWPM_SUBLAYER0 *sublayer, void *sd)',
);
const filterAdd = declare<(engine: unknown, filter: object, sd: null, id: [bigint]) => number>(
  fwpuclnt,
  'uint32 __stdcall FwpmFilterAdd0(void *engine, FWPM_FILTER0 *filter, void *sd, _Out_ uint64 *id)',
);
const filterDelete = declare<(engine: unknown, id: bigint) => number>(
  fwpuclnt,
  'uint32 __stdcall FwpmFilterDeleteById0(void *engine, uint64 id)',
);
const sublayerDelete = declare<(engine: unknown, key: object) => number>(
  fwpuclnt,
  'uint32 __stdcall FwpmSubLayerDeleteByKey0(void *engine, WFP_GUID *key)',
);
const providerDelete = declare<(engine: unknown, key: object) => number>(
  fwpuclnt,
  'uint32 __stdcall FwpmProviderDeleteByKey0(void *engine, WFP_GUID *key)',
);

const NO_BLOB = { size: 0, data: null };
const ZERO_GUID = { bytes: new Uint8Array(16) };

function openEngine(dynamic: boolean): unknown {
  wfp();
  const engine: [unknown] = [null];
  const session = {
    sessionKey: ZERO_GUID,
    displayData: { name: 'Wirefly', description: 'Wirefly kill switch' },
    flags: dynamic ? FWPM_SESSION_FLAG_DYNAMIC : 0,
    txnWaitTimeoutInMSec: 0,
    processId: 0,
    sid: null,
    username: null,
    kernelMode: 0,
  };
  check('FwpmEngineOpen0', engineOpen()(null, RPC_C_AUTHN_WINNT, null, session, engine));
  return engine[0];
}

function conditionOf(condition: WfpCondition): object {
  const key = (text: string) => ({ bytes: guidBytes(text) });
  switch (condition.field) {
    case 'interface':
      return {
        fieldKey: key(CONDITION_KEYS.interface),
        matchType: FWP_MATCH_EQUAL,
        conditionValue: { type: FWP_UINT64, value: { uint64: [condition.luid] } },
      };
    case 'loopback':
      return {
        fieldKey: key(CONDITION_KEYS.flags),
        matchType: FWP_MATCH_FLAGS_ALL_SET,
        conditionValue: { type: FWP_UINT32, value: { uint32: FWP_CONDITION_FLAG_IS_LOOPBACK } },
      };
    case 'protocol':
      return {
        fieldKey: key(CONDITION_KEYS.protocol),
        matchType: FWP_MATCH_EQUAL,
        conditionValue: { type: FWP_UINT8, value: { uint8: PROTOCOLS[condition.protocol] } },
      };
    case 'remote-port':
      return {
        fieldKey: key(CONDITION_KEYS.remotePort),
        matchType: FWP_MATCH_EQUAL,
        conditionValue: { type: FWP_UINT16, value: { uint16: condition.port } },
      };
    case 'local-port':
      return {
        fieldKey: key(CONDITION_KEYS.localPort),
        matchType: FWP_MATCH_EQUAL,
        conditionValue: { type: FWP_UINT16, value: { uint16: condition.port } },
      };
    case 'icmp-type':
      return {
        fieldKey: key(CONDITION_KEYS.localPort),
        matchType: FWP_MATCH_EQUAL,
        conditionValue: { type: FWP_UINT16, value: { uint16: condition.type } },
      };
    case 'remote-address': {
      const { address } = condition;
      if (address.family === 4) {
        const addr = new DataView(address.bytes.buffer, address.bytes.byteOffset, 4).getUint32(0, false);
        const mask = address.prefix === 0 ? 0 : (0xffffffff << (32 - address.prefix)) >>> 0;
        return {
          fieldKey: key(CONDITION_KEYS.remoteAddress),
          matchType: FWP_MATCH_EQUAL,
          conditionValue: { type: FWP_V4_ADDR_MASK, value: { v4AddrMask: [{ addr, mask }] } },
        };
      }
      return {
        fieldKey: key(CONDITION_KEYS.remoteAddress),
        matchType: FWP_MATCH_EQUAL,
        conditionValue: {
          type: FWP_V6_ADDR_MASK,
          value: { v6AddrMask: [{ addr: address.bytes, prefixLength: address.prefix }] },
        },
      };
    }
  }
}

function filterOf(filter: WfpFilter): object {
  const conditions = filter.conditions.map(conditionOf);
  return {
    filterKey: ZERO_GUID,
    displayData: { name: `Wirefly: ${filter.name}`, description: null },
    flags: 0,
    providerKey: [{ bytes: guidBytes(WFP_PROVIDER_KEY) }],
    providerData: NO_BLOB,
    layerKey: { bytes: guidBytes(LAYER_KEYS[filter.layer]) },
    subLayerKey: { bytes: guidBytes(WFP_SUBLAYER_KEY) },
    weight: { type: FWP_UINT8, value: { uint8: filter.weight } },
    numFilterConditions: conditions.length,
    filterCondition: conditions.length > 0 ? conditions : null,
    action: { type: filter.action === 'permit' ? FWP_ACTION_PERMIT : FWP_ACTION_BLOCK, filterType: ZERO_GUID },
    providerContextKey: ZERO_GUID,
    reserved: null,
    filterId: 0n,
    effectiveWeight: { type: 0, value: { uint8: 0 } },
  };
}

/** Runs `change` in one WFP transaction, committed if it returns and aborted if it throws. */
function inTransaction<T>(engine: unknown, change: () => T): T {
  check('FwpmTransactionBegin0', transactionBegin()(engine, 0));
  try {
    const result = change();
    check('FwpmTransactionCommit0', transactionCommit()(engine));
    return result;
  } catch (error) {
    transactionAbort()(engine);
    throw error;
  }
}

/** Adds the filters within a transaction under way; returns their ids. */
function addFilterObjects(engine: unknown, filters: readonly WfpFilter[]): bigint[] {
  return filters.map((filter) => {
    const id: [bigint] = [0n];
    check(`FwpmFilterAdd0(${filter.name})`, filterAdd()(engine, filterOf(filter), null, id));
    return id[0];
  });
}

function addFilters(engine: unknown, filters: readonly WfpFilter[]): bigint[] {
  return inTransaction(engine, () => {
    check(
      'FwpmProviderAdd0',
      providerAdd()(
        engine,
        {
          providerKey: { bytes: guidBytes(WFP_PROVIDER_KEY) },
          displayData: { name: 'Wirefly', description: null },
          flags: 0,
          providerData: NO_BLOB,
          serviceName: null,
        },
        null,
      ),
    );
    check(
      'FwpmSubLayerAdd0',
      sublayerAdd()(
        engine,
        {
          subLayerKey: { bytes: guidBytes(WFP_SUBLAYER_KEY) },
          displayData: { name: 'Wirefly kill switch', description: null },
          flags: 0,
          providerKey: [{ bytes: guidBytes(WFP_PROVIDER_KEY) }],
          providerData: NO_BLOB,
          weight: 0xffff,
        },
        null,
      ),
    );
    return addFilterObjects(engine, filters);
  });
}

function replaceFilters(engine: unknown, old: readonly bigint[], filters: readonly WfpFilter[]): bigint[] {
  return inTransaction(engine, () => {
    for (const id of old) check('FwpmFilterDeleteById0', filterDelete()(engine, id));
    return addFilterObjects(engine, filters);
  });
}

export function koffiNetworkApi(): Win32NetworkApi {
  return {
    interfaceLuid(alias) {
      const luid: [bigint] = [0n];
      check(`ConvertInterfaceAliasToLuid(${alias})`, aliasToLuid()(alias, luid));
      return BigInt(luid[0]);
    },
    addAddress: (luid, address) =>
      check('CreateUnicastIpAddressEntry', createAddress()(addressRow(luid, address)), ERROR_OBJECT_ALREADY_EXISTS),
    deleteAddress: (luid, address) =>
      check(
        'DeleteUnicastIpAddressEntry',
        deleteAddress()(addressRow(luid, address)),
        ERROR_NOT_FOUND,
        ERROR_FILE_NOT_FOUND,
      ),
    addRoute: (route) => check('CreateIpForwardEntry2', createRoute()(forwardRow(route)), ERROR_OBJECT_ALREADY_EXISTS),
    deleteRoute: (route) =>
      check('DeleteIpForwardEntry2', deleteRoute()(forwardRow(route)), ERROR_NOT_FOUND, ERROR_FILE_NOT_FOUND),
    bestRoute: findBestRoute,
    forwardTable: forwardRoutes,
    interfaceRouting: readInterfaceRouting,
    watchRoutes: watchRouteChanges,
    interfaceMtu: readInterfaceMtu,
    setInterface: writeInterface,
    setDns: writeDns,
    clearDns(luid, family) {
      // Where Windows cannot set DNS on an interface, none was set.
      if (!dnsSettingsCall()) return;
      try {
        writeDns(luid, family, [], []);
      } catch (error) {
        if (!(error instanceof Win32Error && (error.code === ERROR_NOT_FOUND || error.code === ERROR_FILE_NOT_FOUND)))
          throw error;
      }
    },
    openFirewall(): FirewallSession {
      const engine = openEngine(true);
      let open = true;
      let ids: bigint[] = [];
      return {
        add: (filters) => void (ids = [...ids, ...addFilters(engine, filters)]),
        replace: (filters) => void (ids = replaceFilters(engine, ids, filters)),
        close() {
          if (!open) return;
          open = false;
          engineClose()(engine);
        },
      };
    },
    deleteFirewallObjects() {
      const engine = openEngine(false);
      try {
        check(
          'FwpmSubLayerDeleteByKey0',
          sublayerDelete()(engine, { bytes: guidBytes(WFP_SUBLAYER_KEY) }),
          FWP_E_SUBLAYER_NOT_FOUND,
          FWP_E_NOT_FOUND,
        );
        check(
          'FwpmProviderDeleteByKey0',
          providerDelete()(engine, { bytes: guidBytes(WFP_PROVIDER_KEY) }),
          FWP_E_PROVIDER_NOT_FOUND,
          FWP_E_NOT_FOUND,
        );
      } finally {
        engineClose()(engine);
      }
    },
  };
}
