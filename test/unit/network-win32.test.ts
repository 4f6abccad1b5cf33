// The Windows network code against a binding that records its IP Helper and
// WFP calls (Wintun and WFP do not run under Wine, nor anywhere but Windows):
// what it asks for, in what order, each change journaled first, undone by the
// tunnel's undo and by recovery from the journal after a crash. Pure
// TypeScript: it runs in the unit suite and again in the Windows suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../helper/src/config/index.js';
import { planTunnelNetwork, type TunnelNetworkPlan, type UndoJournal } from '../../helper/src/os/network.js';
import { applyWin32TunnelNetwork } from '../../helper/src/os/win32/apply.js';
import { win32Platform } from '../../helper/src/os/win32/index.js';
import { killSwitchFilters } from '../../helper/src/os/win32/firewall.js';
import { isWin32UndoStep } from '../../helper/src/os/win32/undo-steps.js';
import { Journal } from '../../helper/src/service/journal.js';
import { parseEndpoint, parseIpAddress } from '../../helper/src/net/ip.js';
import { RecordingWin32Api, type RecordedUplink } from './support/recording-win32-api.js';

const KEY_A = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const KEY_B = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const TUNNEL = 41n;
const UPLINK = 7n;

function planFor(interfaceLines: string, peerLines: string): TunnelNetworkPlan {
  const parsed = parseConfig(
    `[Interface]\nPrivateKey = ${KEY_A}\n${interfaceLines}\n[Peer]\nPublicKey = ${KEY_B}\n${peerLines}\n`,
  );
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join('; '));
  return planTunnelNetwork(parsed.config, { ifname: 'wf0' });
}

function setup(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-win32-net-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const api = new RecordingWin32Api(new Map([['wf0', TUNNEL]]), { luid: UPLINK, gateway: '192.168.1.1', mtu: 1500 });
  const platform = win32Platform({ network: api });
  return { dir, api, platform };
}

const FULL_TUNNEL = planFor(
  'Address = 10.8.0.2/32, fd00::2/128\nDNS = 10.8.0.1, corp.example',
  'AllowedIPs = 0.0.0.0/0, ::/0\nEndpoint = 203.0.113.5:51820',
);

test('full tunnel: kill switch first, MTU from the uplink, addresses, the endpoint kept off the tunnel, default routes split, DNS', async (t) => {
  const { dir, api, platform } = setup(t);
  const journal = await Journal.open(dir, platform.network.undoPerformer());
  const applied = await platform.network.apply(FULL_TUNNEL, { journal, engineListenPort: 51999 });
  assert.equal(applied.mtu, 1420);
  const filters = killSwitchFilters({
    luid: TUNNEL,
    endpoints: [parseEndpoint('203.0.113.5:51820')!],
    dnsServers: [parseIpAddress('10.8.0.1')!],
    enginePort: 51999,
  });
  assert.deepEqual(api.filters, filters);
  assert.deepEqual(api.calls, [
    'interfaceLuid wf0',
    'openFirewall',
    `addFilters ${filters.length}`,
    'bestRoute 203.0.113.5',
    'interfaceMtu 7 v4',
    'setInterface 41 v4 mtu 1420 metric 0',
    'setInterface 41 v6 mtu 1420 metric 0',
    'addAddress 41 10.8.0.2/32',
    'addAddress 41 fd00::2/128',
    'bestRoute 203.0.113.5',
    'addRoute 7 203.0.113.5/32 via 192.168.1.1 metric 0',
    'addRoute 41 0.0.0.0/1 via on-link metric 0',
    'addRoute 41 128.0.0.0/1 via on-link metric 0',
    'addRoute 41 ::/1 via on-link metric 0',
    'addRoute 41 8000::/1 via on-link metric 0',
    'setDns 41 v4 10.8.0.1 search corp.example',
    'watchRoutes',
  ]);
  assert.ok(api.firewallOpen);
  await applied.undo();
  assert.deepEqual([...api.addresses, ...api.routes, ...api.dns.keys()], []);
  assert.equal(api.firewallOpen, false);
  assert.deepEqual(api.calls.slice(17), [
    'unwatchRoutes',
    'closeFirewall',
    'clearDns 41 v4',
    'deleteRoute 41 8000::/1 via on-link metric 0',
    'deleteRoute 41 ::/1 via on-link metric 0',
    'deleteRoute 41 128.0.0.0/1 via on-link metric 0',
    'deleteRoute 41 0.0.0.0/1 via on-link metric 0',
    'deleteRoute 7 203.0.113.5/32 via 192.168.1.1 metric 0',
    'deleteAddress 41 fd00::2/128',
    'deleteAddress 41 10.8.0.2/32',
    'deleteFirewallObjects',
  ]);
});

test("the engine's UDP moved to another port: the kill switch's filters replaced in one transaction", async (t) => {
  const { dir, api, platform } = setup(t);
  const journal = await Journal.open(dir, platform.network.undoPerformer());
  const applied = await platform.network.apply(FULL_TUNNEL, { journal, engineListenPort: 51999 });
  const moved = killSwitchFilters({
    luid: TUNNEL,
    endpoints: [parseEndpoint('203.0.113.5:51820')!],
    dnsServers: [parseIpAddress('10.8.0.1')!],
    enginePort: 40000,
  });
  await applied.updateEngineListenPort!(40000);
  assert.equal(api.calls.at(-1), `replaceFilters ${moved.length}`);
  assert.deepEqual(api.filters, moved);
  assert.equal(api.firewallSessions, 1);
  await applied.undo();
  assert.equal(api.firewallOpen, false);
  const split = planFor('Address = 10.8.0.2/24', 'AllowedIPs = 10.9.0.0/16\nEndpoint = 203.0.113.5:51820');
  const withoutKillSwitch = await platform.network.apply(split, { journal, engineListenPort: 51999 });
  assert.equal(withoutKillSwitch.updateEngineListenPort, undefined, 'no kill switch, nothing names the port');
  await withoutKillSwitch.undo();
});

test("the kill switch: the tunnel, loopback, DHCP, NDP, the endpoint and the engine's port let through, DNS only to the tunnel servers, the rest blocked", () => {
  const filters = killSwitchFilters({
    luid: TUNNEL,
    endpoints: [parseEndpoint('[2001:db8::5]:51820')!],
    dnsServers: [parseIpAddress('10.8.0.1')!],
    enginePort: 51999,
  });
  const describe = (name: string) =>
    filters
      .filter((f) => f.name === name)
      .map(
        (f) =>
          `${f.layer} ${f.action} ${f.weight} ${JSON.stringify(f.conditions, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`,
      );
  assert.deepEqual(describe('everything else'), [
    'connect-v4 block 0 []',
    'accept-v4 block 0 []',
    'connect-v6 block 0 []',
    'accept-v6 block 0 []',
  ]);
  assert.deepEqual(describe('the tunnel').length, 4);
  assert.ok(describe('the tunnel').every((line) => line.includes('permit 12 [{"field":"interface","luid":"41"}]')));
  assert.equal(describe('loopback').length, 4);
  assert.equal(describe('DHCP request').length, 1);
  assert.equal(filters.filter((f) => f.name.startsWith('NDP')).length, 10);
  assert.deepEqual(describe('WireGuard endpoint'), [
    'connect-v6 permit 12 [{"field":"protocol","protocol":"udp"},{"field":"remote-address","address":{"family":6,"bytes":{"0":32,"1":1,"2":13,"3":184,"4":0,"5":0,"6":0,"7":0,"8":0,"9":0,"10":0,"11":0,"12":0,"13":0,"14":0,"15":5},"prefix":128}},{"field":"remote-port","port":51820}]',
  ]);
  assert.deepEqual(
    describe("the engine's port"),
    ['connect-v4', 'accept-v4', 'connect-v6', 'accept-v6'].map(
      (layer) => `${layer} permit 12 [{"field":"protocol","protocol":"udp"},{"field":"local-port","port":51999}]`,
    ),
  );
  assert.equal(describe('DNS to the tunnel servers').length, 2);
  assert.ok(describe('DNS elsewhere').every((line) => line.includes('block 14')));
  assert.ok(filters.every((f) => f.weight >= 0 && f.weight <= 15));
});

test('a crash: a restarted helper undoes what the journal holds; a forged record is refused before any call', async (t) => {
  const { dir, api, platform } = setup(t);
  const journal = await Journal.open(join(dir, 'live'), platform.network.undoPerformer());
  const applied = await platform.network.apply(FULL_TUNNEL, { journal });
  // The helper dies here: its journal is on disk as it left it (copied, since this process still holds the
  // live one open, which Windows would not let recovery delete), and a dynamic WFP session dies with it.
  cpSync(join(dir, 'live'), join(dir, 'crashed'), { recursive: true });
  const restarted = new RecordingWin32Api(new Map(), { luid: UPLINK, mtu: 1500 });
  const crashed = await Journal.open(
    join(dir, 'crashed'),
    win32Platform({ network: restarted }).network.undoPerformer(),
  );
  const recovery = await crashed.recover();
  assert.deepEqual(recovery.recovered, ['wf0']);
  assert.deepEqual(restarted.calls, [
    'clearDns 41 v4',
    'deleteRoute 41 8000::/1 via on-link metric 0',
    'deleteRoute 41 ::/1 via on-link metric 0',
    'deleteRoute 41 128.0.0.0/1 via on-link metric 0',
    'deleteRoute 41 0.0.0.0/1 via on-link metric 0',
    'deleteRoute 7 203.0.113.5/32 via 192.168.1.1 metric 0',
    'deleteAddress 41 fd00::2/128',
    'deleteAddress 41 10.8.0.2/32',
    'deleteFirewallObjects',
  ]);
  assert.equal(api.routes.size, 4 + 1, 'the first binding was left as the crash left it');
  await applied.undo();
  for (const forged of [
    { op: 'win32-delete-route', luid: '41', destination: '0.0.0.0/1', nextHop: 'x; del', metric: 0 },
    { op: 'win32-delete-address', luid: '0x29', address: '10.8.0.2/32' },
    { op: 'win32-clear-dns', luid: '41', family: 5 },
    { op: 'win32-delete-firewall', extra: true },
    { op: 'delete-link', ifname: 'wf0' },
  ]) {
    assert.equal(isWin32UndoStep(forged), false, JSON.stringify(forged));
    await assert.rejects(platform.network.undoPerformer()(forged), /not a valid Windows network undo step/);
  }
});

test('a failing step: what was done is undone, and the error is the failure', async (t) => {
  const { dir, api, platform } = setup(t);
  api.failOn = 'setDns';
  const journal = await Journal.open(dir, platform.network.undoPerformer());
  await assert.rejects(platform.network.apply(FULL_TUNNEL, { journal }), /recorded failure: setDns/);
  assert.deepEqual([...api.addresses, ...api.routes, ...api.dns.keys()], []);
  assert.equal(api.firewallOpen, false);
  assert.deepEqual((await (await Journal.open(dir, platform.network.undoPerformer())).recover()).recovered, []);
});

test('split tunnel: routes on the tunnel only, no kill switch, no endpoint route; Table = off adds none; a table number is refused', async (t) => {
  const { dir, api, platform } = setup(t);
  const journal = await Journal.open(dir, platform.network.undoPerformer());
  const split = planFor('Address = 10.8.0.2/24\nMTU = 1380', 'AllowedIPs = 10.9.0.0/16\nEndpoint = 203.0.113.5:51820');
  const applied = await platform.network.apply(split, { journal });
  assert.equal(applied.mtu, 1380);
  assert.deepEqual(api.calls, [
    'interfaceLuid wf0',
    'setInterface 41 v4 mtu 1380 metric 0',
    'addAddress 41 10.8.0.2/24',
    'addRoute 41 10.9.0.0/16 via on-link metric 0',
  ]);
  await applied.undo();
  const off = planFor('Address = 10.8.0.2/24\nTable = off', 'AllowedIPs = 0.0.0.0/0\nEndpoint = 203.0.113.5:51820');
  api.calls.length = 0;
  await (await platform.network.apply({ ...off, killSwitch: false }, { journal })).undo();
  assert.ok(!api.calls.some((call) => call.startsWith('addRoute')));
  api.calls.length = 0;
  const numbered = planFor('Address = 10.8.0.2/24\nTable = 1234', 'AllowedIPs = 10.9.0.0/16');
  await assert.rejects(platform.network.apply(numbered, { journal }), /Table = 1234: Windows has one routing table/);
  assert.deepEqual(api.calls, []);
});

// Following the uplink: the tunnel above is up, through Wi-Fi; its journal's
// records and retirements land among the calls, to show that each comes first.
const WIFI: RecordedUplink = { luid: UPLINK, gateway: '192.168.1.1', mtu: 1500, metric: 50 };
const ETHERNET: RecordedUplink = { luid: 9n, gateway: '10.0.0.1', mtu: 1500, metric: 10 };
const THROUGH_WIFI = '7 203.0.113.5/32 via 192.168.1.1 metric 0';
const THROUGH_ETHERNET = '9 203.0.113.5/32 via 10.0.0.1 metric 0';
const step = (luid: string, nextHop: string) =>
  JSON.stringify({ op: 'win32-delete-route', luid, destination: '203.0.113.5/32', nextHop, metric: 0 });
const WIFI_STEP = step('7', '192.168.1.1');
const ETHERNET_STEP = step('9', '10.0.0.1');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean): Promise<void> {
  // The journal syncs each record to disk: a refresh takes real time.
  for (const deadline = Date.now() + 5000; !condition() && Date.now() < deadline;) await sleep(2);
  assert.ok(condition(), 'the refresh did not get there');
}

// With its MTU set, so that only the endpoint's route follows (an automatic MTU is tested below).
const FULL_TUNNEL_MTU_SET = planFor(
  'Address = 10.8.0.2/32, fd00::2/128\nDNS = 10.8.0.1, corp.example\nMTU = 1420',
  'AllowedIPs = 0.0.0.0/0, ::/0\nEndpoint = 203.0.113.5:51820',
);

async function following(t: { after(fn: () => void): void }, plan = FULL_TUNNEL_MTU_SET) {
  const { dir, api, platform } = setup(t);
  const journal = await Journal.open(join(dir, 'live'), platform.network.undoPerformer());
  let held: Promise<void> | undefined;
  const logged: UndoJournal = {
    async begin(label) {
      const set = await journal.begin(label);
      return {
        async record(step) {
          await held;
          api.calls.push(`#record ${JSON.stringify(step)}`);
          await set.record(step);
        },
        async retire(step) {
          api.calls.push(`#retire ${JSON.stringify(step)}`);
          await set.retire(step);
        },
        undo: () => set.undo(),
      };
    },
  };
  const applied = await applyWin32TunnelNetwork(api, plan, { journal: logged }, { followIntervalMs: 30 });
  api.calls.length = 0;
  /** Keeps the next journal record waiting until the returned function is called. */
  const hold = () => {
    let release = () => {};
    held = new Promise<void>((resolve) => (release = resolve));
    return () => {
      held = undefined;
      release();
    };
  };
  return { dir, api, applied, hold };
}

test("a better uplink: the endpoint's host route moves to it, made before the old one goes, the tunnel's routes and its own not taken for a way out", async (t) => {
  const { api, applied } = await following(t);
  api.uplinks = [WIFI, ETHERNET];
  api.changeRoutes();
  await waitFor(() => api.calls.includes(`#retire ${WIFI_STEP}`));
  assert.deepEqual(api.calls, [
    'forwardTable v4',
    'interfaceRouting 7 v4',
    'interfaceRouting 9 v4',
    `#record ${ETHERNET_STEP}`,
    `addRoute ${THROUGH_ETHERNET}`,
    `deleteRoute ${THROUGH_WIFI}`,
    `#retire ${WIFI_STEP}`,
  ]);
  // Ethernet's cable is pulled: back to Wi-Fi.
  api.calls.length = 0;
  api.uplinks = [WIFI, { ...ETHERNET, connected: false }];
  api.changeRoutes();
  await waitFor(() => api.calls.includes(`#retire ${ETHERNET_STEP}`));
  assert.deepEqual(api.calls.slice(3), [
    `#record ${WIFI_STEP}`,
    `addRoute ${THROUGH_WIFI}`,
    `deleteRoute ${THROUGH_ETHERNET}`,
    `#retire ${ETHERNET_STEP}`,
  ]);
  api.calls.length = 0;
  await applied.undo();
  assert.deepEqual(
    api.calls.filter((call) => call.includes('203.0.113.5/32')),
    [`deleteRoute ${THROUGH_WIFI}`],
  );
  assert.deepEqual([...api.routes], []);
});

test('a change that leaves the way out as it was changes nothing; with no way out at all the last route stays', async (t) => {
  const { api, applied } = await following(t);
  api.changeRoutes();
  await waitFor(() => api.calls.length >= 2);
  await sleep(50);
  assert.deepEqual(api.calls, ['forwardTable v4', 'interfaceRouting 7 v4']);
  api.calls.length = 0;
  api.uplinks = [{ ...WIFI, connected: false }];
  api.changeRoutes();
  await waitFor(() => api.calls.length >= 2);
  await sleep(50);
  assert.deepEqual(api.calls, ['forwardTable v4', 'interfaceRouting 7 v4']);
  assert.ok(api.routes.has(THROUGH_WIFI));
  await applied.undo();
});

/** Ethernet appears, and the refresh that moves the host route to it waits at its journal record until released. */
async function refreshUnderWay(t: { after(fn: () => void): void }) {
  const { api, applied, hold } = await following(t);
  const release = hold();
  api.uplinks = [WIFI, ETHERNET];
  api.changeRoutes();
  await waitFor(() => api.calls.includes('interfaceRouting 9 v4'));
  return { api, applied, release };
}

test('changes during a refresh fold into one more run after it', async (t) => {
  const { api, applied, release } = await refreshUnderWay(t);
  for (let i = 0; i < 5; i++) api.changeRoutes();
  release();
  await waitFor(() => api.calls.filter((call) => call === 'forwardTable v4').length === 2);
  await sleep(100);
  assert.equal(api.calls.filter((call) => call === 'forwardTable v4').length, 2);
  assert.deepEqual(
    [...api.routes].filter((route) => route.includes('203.0.113.5')),
    [THROUGH_ETHERNET],
  );
  await applied.undo();
});

test('a failed refresh keeps the last route, its record retired; the next change tries again', async (t) => {
  const { api, applied } = await following(t);
  api.uplinks = [WIFI, ETHERNET];
  api.failOn = 'addRoute 9';
  api.changeRoutes();
  await waitFor(() => api.calls.includes(`#retire ${ETHERNET_STEP}`));
  assert.deepEqual(api.calls.slice(3), [`#record ${ETHERNET_STEP}`, `#retire ${ETHERNET_STEP}`]);
  assert.ok(api.routes.has(THROUGH_WIFI));
  api.failOn = 'forwardTable';
  api.changeRoutes();
  await sleep(50);
  assert.ok(api.routes.has(THROUGH_WIFI));
  api.failOn = undefined;
  api.changeRoutes();
  await waitFor(() => api.routes.has(THROUGH_ETHERNET) && !api.routes.has(THROUGH_WIFI));
  await applied.undo();
  assert.deepEqual([...api.routes], []);
});

test('bringing the tunnel down mid-refresh: watching stops first, the refresh ends, then its route goes with the rest', async (t) => {
  const { api, applied, release } = await refreshUnderWay(t);
  const down = applied.undo();
  await sleep(30);
  assert.equal(api.calls.at(-1), 'unwatchRoutes', 'nothing is taken down while the refresh is under way');
  release();
  await down;
  const after = api.calls.slice(api.calls.indexOf('unwatchRoutes'));
  assert.deepEqual(after.slice(0, 6), [
    'unwatchRoutes',
    `#record ${ETHERNET_STEP}`,
    `addRoute ${THROUGH_ETHERNET}`,
    `deleteRoute ${THROUGH_WIFI}`,
    `#retire ${WIFI_STEP}`,
    'closeFirewall',
  ]);
  assert.ok(after.includes(`deleteRoute ${THROUGH_ETHERNET}`));
  assert.deepEqual([...api.routes], []);
  const calls = api.calls.length;
  api.changeRoutes();
  await sleep(50);
  assert.equal(api.calls.length, calls);
  assert.equal(api.watchingRoutes, 0);
});

test('a route watch that will not stop: the tunnel still comes down whole, and the failure is told', async (t) => {
  const { api, applied } = await following(t);
  api.failOn = 'unwatchRoutes';
  await assert.rejects(applied.undo(), /recorded failure: unwatchRoutes/);
  assert.deepEqual([...api.addresses, ...api.routes, ...api.dns.keys()], []);
  assert.equal(api.firewallOpen, false);
});

test('a crash after a move: recovery deletes the host route that exists, not the one the move took away', async (t) => {
  const { dir, api, applied } = await following(t);
  api.uplinks = [WIFI, ETHERNET];
  api.changeRoutes();
  await waitFor(() => api.calls.includes(`#retire ${WIFI_STEP}`));
  cpSync(join(dir, 'live'), join(dir, 'crashed'), { recursive: true });
  const restarted = new RecordingWin32Api(new Map(), { luid: UPLINK, mtu: 1500 });
  const crashed = await Journal.open(
    join(dir, 'crashed'),
    win32Platform({ network: restarted }).network.undoPerformer(),
  );
  assert.deepEqual((await crashed.recover()).recovered, ['wf0']);
  assert.deepEqual(
    restarted.calls.filter((call) => call.includes('203.0.113.5/32')),
    [`deleteRoute ${THROUGH_ETHERNET}`],
  );
  assert.equal(restarted.calls.filter((call) => call.startsWith('deleteRoute')).length, 4 + 1);
  await applied.undo();
});

const mtuSettings = (calls: readonly string[]) => calls.filter((call) => call.startsWith('setInterface'));

test("an automatic MTU follows the uplink: set again from the one the endpoint's route moved to, and only when it differs", async (t) => {
  const { api, applied } = await following(t, FULL_TUNNEL);
  api.uplinks = [WIFI, { ...ETHERNET, mtu: 1492 }];
  api.changeRoutes();
  await waitFor(() => mtuSettings(api.calls).length === 2);
  assert.deepEqual(api.calls.slice(api.calls.indexOf(`#retire ${WIFI_STEP}`)), [
    `#retire ${WIFI_STEP}`,
    'bestRoute 203.0.113.5',
    'interfaceMtu 9 v4',
    'setInterface 41 v4 mtu 1412 metric 0',
    'setInterface 41 v6 mtu 1412 metric 0',
  ]);
  // A change of the table that leaves the way out and its MTU as they were.
  api.calls.length = 0;
  api.changeRoutes();
  await waitFor(() => api.calls.includes('interfaceMtu 9 v4'));
  await sleep(50);
  assert.deepEqual(mtuSettings(api.calls), []);
  // Ethernet's cable is pulled: back to Wi-Fi's 1500.
  api.calls.length = 0;
  api.uplinks = [WIFI, { ...ETHERNET, mtu: 1492, connected: false }];
  api.changeRoutes();
  await waitFor(() => mtuSettings(api.calls).length === 2);
  assert.deepEqual(mtuSettings(api.calls), [
    'setInterface 41 v4 mtu 1420 metric 0',
    'setInterface 41 v6 mtu 1420 metric 0',
  ]);
  await applied.undo();
});

test('a split tunnel with an automatic MTU follows it too; an MTU the config sets is never changed', async (t) => {
  const split = planFor('Address = 10.8.0.2/24', 'AllowedIPs = 10.9.0.0/16\nEndpoint = 203.0.113.5:51820');
  const { api, applied } = await following(t, split);
  api.uplinks = [{ ...WIFI, mtu: 1400 }];
  api.changeRoutes();
  await waitFor(() => mtuSettings(api.calls).length === 1);
  assert.deepEqual(api.calls, ['bestRoute 203.0.113.5', 'interfaceMtu 7 v4', 'setInterface 41 v4 mtu 1320 metric 0']);
  await applied.undo();
  assert.equal(api.watchingRoutes, 0);

  const fixed = await following(
    t,
    planFor('Address = 10.8.0.2/24\nMTU = 1380', 'AllowedIPs = 10.9.0.0/16\nEndpoint = 203.0.113.5:51820'),
  );
  assert.equal(fixed.api.watchingRoutes, 0, 'nothing to follow: no endpoint route, no automatic MTU');
  await fixed.applied.undo();
});

const MOVED = parseEndpoint('198.51.100.7:51820')!;
const MOVED_THROUGH_WIFI = '7 198.51.100.7/32 via 192.168.1.1 metric 0';
const MOVED_STEP = JSON.stringify({
  op: 'win32-delete-route',
  luid: '7',
  destination: '198.51.100.7/32',
  nextHop: '192.168.1.1',
  metric: 0,
});

test("an endpoint resolved to another address: the kill switch's filters replaced in one transaction, then the host route moves to it", async (t) => {
  const { dir, api, applied } = await following(t);
  await applied.updateEndpoints!([MOVED]);
  const filters = killSwitchFilters({ luid: TUNNEL, endpoints: [MOVED], dnsServers: [parseIpAddress('10.8.0.1')!] });
  assert.deepEqual(api.calls, [
    `replaceFilters ${filters.length}`,
    `deleteRoute ${THROUGH_WIFI}`,
    `#retire ${WIFI_STEP}`,
    'forwardTable v4',
    'interfaceRouting 7 v4',
    `#record ${MOVED_STEP}`,
    `addRoute ${MOVED_THROUGH_WIFI}`,
  ]);
  assert.equal(api.firewallSessions, 1);
  assert.deepEqual(api.filters, filters);
  assert.deepEqual(
    [...api.routes].filter((route) => route.includes('/32')),
    [MOVED_THROUGH_WIFI],
  );
  // A crash now: recovery deletes the route to the new address, and none to the old.
  cpSync(join(dir, 'live'), join(dir, 'crashed'), { recursive: true });
  const restarted = new RecordingWin32Api(new Map(), { luid: UPLINK, mtu: 1500 });
  const crashed = await Journal.open(
    join(dir, 'crashed'),
    win32Platform({ network: restarted }).network.undoPerformer(),
  );
  await crashed.recover();
  assert.deepEqual(
    restarted.calls.filter((call) => call.startsWith('deleteRoute') && call.includes('/32')),
    [`deleteRoute ${MOVED_THROUGH_WIFI}`],
  );
  // The new route follows the uplink like the old one did.
  api.calls.length = 0;
  api.uplinks = [WIFI, ETHERNET];
  api.changeRoutes();
  await waitFor(() => api.routes.has('9 198.51.100.7/32 via 10.0.0.1 metric 0') && !api.routes.has(MOVED_THROUGH_WIFI));
  await applied.undo();
  assert.deepEqual([...api.addresses, ...api.routes, ...api.dns.keys()], []);
  assert.equal(api.firewallOpen, false);
});

test('a split tunnel whose endpoint resolves into its own routes: a host route then, and following starts', async (t) => {
  const split = planFor('Address = 10.8.0.2/24\nMTU = 1420', 'AllowedIPs = 10.9.0.0/16\nEndpoint = 203.0.113.5:51820');
  const { api, applied } = await following(t, split);
  assert.equal(api.watchingRoutes, 0);
  const inside = parseEndpoint('10.9.0.7:51820')!;
  await applied.updateEndpoints!([inside]);
  assert.deepEqual(api.calls, [
    'watchRoutes',
    'forwardTable v4',
    'interfaceRouting 7 v4',
    `#record ${JSON.stringify({ op: 'win32-delete-route', luid: '7', destination: '10.9.0.7/32', nextHop: '192.168.1.1', metric: 0 })}`,
    'addRoute 7 10.9.0.7/32 via 192.168.1.1 metric 0',
  ]);
  assert.equal(api.watchingRoutes, 1);
  // Back outside: its route goes, nothing else changes.
  api.calls.length = 0;
  await applied.updateEndpoints!([parseEndpoint('203.0.113.5:51820')!]);
  assert.deepEqual(api.calls.slice(0, 1), ['deleteRoute 7 10.9.0.7/32 via 192.168.1.1 metric 0']);
  assert.ok(!api.calls.some((call) => call.startsWith('addRoute') || call.startsWith('openFirewall')));
  await applied.undo();
  assert.deepEqual([...api.addresses, ...api.routes], []);
});
