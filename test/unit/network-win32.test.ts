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
import { planTunnelNetwork, type TunnelNetworkPlan } from '../../helper/src/os/network.js';
import { win32Platform } from '../../helper/src/os/win32/index.js';
import { killSwitchFilters } from '../../helper/src/os/win32/firewall.js';
import { isWin32UndoStep } from '../../helper/src/os/win32/undo-steps.js';
import { Journal } from '../../helper/src/service/journal.js';
import { parseEndpoint, parseIpAddress } from '../../helper/src/net/ip.js';
import { RecordingWin32Api } from './support/recording-win32-api.js';

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
  const applied = await platform.network.apply(FULL_TUNNEL, { journal });
  assert.equal(applied.mtu, 1420);
  const filters = killSwitchFilters({
    luid: TUNNEL,
    endpoints: [parseEndpoint('203.0.113.5:51820')!],
    dnsServers: [parseIpAddress('10.8.0.1')!],
  });
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
  ]);
  assert.ok(api.firewallOpen);
  await applied.undo();
  assert.deepEqual([...api.addresses, ...api.routes, ...api.dns.keys()], []);
  assert.equal(api.firewallOpen, false);
  assert.deepEqual(api.calls.slice(16), [
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

test('the kill switch: the tunnel, loopback, DHCP, NDP and the endpoint let through, DNS only to the tunnel servers, the rest blocked', () => {
  const filters = killSwitchFilters({
    luid: TUNNEL,
    endpoints: [parseEndpoint('[2001:db8::5]:51820')!],
    dnsServers: [parseIpAddress('10.8.0.1')!],
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
