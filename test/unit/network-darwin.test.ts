// The macOS network executor against a fake Mac (test/unit/support/darwin-fake.ts):
// the exact ifconfig and route argument lists, the endpoints' host routes and
// how they follow the default route, DNS per network service and its exact
// restoration, the pf anchor's rules, each change journaled before it is made,
// and a crashed helper's journal undone step by step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../helper/src/config/index.js';
import { parseEndpoint, parseIpAddress, type IpAddress } from '../../helper/src/net/ip.js';
import { PlanError, planTunnelNetwork, type TunnelNetworkPlan } from '../../helper/src/os/network.js';
import {
  applyDarwinTunnelNetwork,
  darwinUndoPerformer,
  isDarwinUndoStep,
  killSwitchRules,
  type DarwinUndoStep,
} from '../../helper/src/os/darwin/index.js';
import { parseServiceList, parseSettingList } from '../../helper/src/os/darwin/dns.js';
import { parseIfconfig } from '../../helper/src/os/darwin/ifconfig.js';
import { mainRulesetEvaluatesAppleAnchors, parsePfToken } from '../../helper/src/os/darwin/pf.js';
import { parseRouteGet } from '../../helper/src/os/darwin/route-get.js';
import { RouteFollower } from '../../helper/src/os/route-follower.js';
import { Journal } from '../../helper/src/service/journal.js';
import { FakeMac } from './support/darwin-fake.js';

const KEY_A = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const KEY_B = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const IF = 'utun4';

function planFor(interfaceLines: string, peerLines: string, killSwitch?: boolean): TunnelNetworkPlan {
  const parsed = parseConfig(
    `[Interface]\nPrivateKey = ${KEY_A}\n${interfaceLines}\n[Peer]\nPublicKey = ${KEY_B}\n${peerLines}\n`,
  );
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join('; '));
  return planTunnelNetwork(parsed.config, { ifname: IF, ...(killSwitch === undefined ? {} : { killSwitch }) });
}

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-darwin-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A Mac with a utun that the engine has opened (down, MTU 1500, as a fresh utun is). */
function macWithUtun(): FakeMac {
  const mac = new FakeMac();
  mac.interfaces.set(IF, { mtu: 1500, up: false, addresses: [] });
  return mac;
}

/** A real journal on disk whose records also land in the fake's call log, to see that each comes before its change. */
async function loggedJournal(dir: string, mac: FakeMac) {
  const journal = await Journal.open(dir, darwinUndoPerformer(mac.run));
  return {
    journal,
    async begin(label: string) {
      const set = await journal.begin(label);
      return {
        record: async (step: object) => {
          mac.calls.push(['#record', JSON.stringify(step)]);
          await set.record(step);
        },
        retire: (step: object) => set.retire(step),
        undo: () => set.undo(),
      };
    },
  };
}

const record = (step: DarwinUndoStep) => ['#record', JSON.stringify(step)];

test('full tunnel, IPv4 and IPv6: addresses, MTU, the halves of both address spaces, host routes for the endpoints, each journaled first', async (t) => {
  const mac = macWithUtun();
  const before = mac.snapshot();
  const journal = await loggedJournal(scratch(t), mac);
  const plan = planFor(
    'Address = 10.9.0.2/32, fd00::2/128',
    'AllowedIPs = 0.0.0.0/0, ::/0, 10.50.0.0/16\nEndpoint = 198.51.100.1:51820',
    false,
  );
  const applied = await applyDarwinTunnelNetwork(plan, { journal }, mac);
  assert.equal(applied.mtu, 1420);
  assert.deepEqual(mac.changes(), [
    record({ op: 'delete-address', ifname: IF, address: '10.9.0.2/32' }),
    ['ifconfig', IF, 'inet', '10.9.0.2/32', '10.9.0.2', 'alias'],
    record({ op: 'delete-address', ifname: IF, address: 'fd00::2/128' }),
    ['ifconfig', IF, 'inet6', 'fd00::2/128', 'alias'],
    record({ op: 'restore-mtu', ifname: IF, mtu: 1500 }),
    ['ifconfig', IF, 'mtu', '1420'],
    record({ op: 'set-link-down', ifname: IF }),
    ['ifconfig', IF, 'up'],
    record({ op: 'delete-route', ifname: IF, destination: '10.50.0.0/16' }),
    ['route', '-q', '-n', 'add', '-inet', '10.50.0.0/16', '-interface', IF],
    record({ op: 'delete-route', ifname: IF, destination: '0.0.0.0/1' }),
    ['route', '-q', '-n', 'add', '-inet', '0.0.0.0/1', '-interface', IF],
    record({ op: 'delete-route', ifname: IF, destination: '128.0.0.0/1' }),
    ['route', '-q', '-n', 'add', '-inet', '128.0.0.0/1', '-interface', IF],
    record({ op: 'delete-route', ifname: IF, destination: '::/1' }),
    ['route', '-q', '-n', 'add', '-inet6', '::/1', '-interface', IF],
    record({ op: 'delete-route', ifname: IF, destination: '8000::/1' }),
    ['route', '-q', '-n', 'add', '-inet6', '8000::/1', '-interface', IF],
    record({ op: 'delete-host-route', address: '198.51.100.1' }),
    ['route', '-q', '-n', 'add', '-inet', '198.51.100.1', '-gateway', '192.168.1.1'],
  ]);
  assert.equal(mac.watchingRoutes, 1, 'a full tunnel follows the default route');
  await applied.undo();
  assert.equal(mac.watchingRoutes, 0);
  assert.equal(mac.snapshot(), before, 'undo takes back exactly what was applied');
});

test('an IPv6 endpoint of a full tunnel gets its host route through the IPv6 gateway; without a default route, a blackhole', async (t) => {
  const mac = macWithUtun();
  mac.routes.delete('4 default');
  const journal = await loggedJournal(scratch(t), mac);
  const plan = planFor(
    'Address = 10.9.0.2/32, fd00::2/128\nMTU = 1380',
    'AllowedIPs = 0.0.0.0/0, ::/0\nEndpoint = [2001:db8::1]:51820\n[Peer]\nPublicKey = ' +
      KEY_A +
      '\nAllowedIPs = 10.1.0.0/16\nEndpoint = 192.0.2.7:51820',
    false,
  );
  await applyDarwinTunnelNetwork(plan, { journal }, mac);
  const hostRoutes = mac.changes().filter((argv) => argv[0] === 'route' && !argv.includes('-interface'));
  assert.deepEqual(hostRoutes, [
    ['route', '-q', '-n', 'add', '-inet', '192.0.2.7', '127.0.0.1', '-blackhole'],
    ['route', '-q', '-n', 'add', '-inet6', '2001:db8::1', '-gateway', 'fe80::1%en0'],
  ]);
  assert.deepEqual(
    mac.commandsOf('ifconfig').find((argv) => argv[2] === 'mtu'),
    ['ifconfig', IF, 'mtu', '1380'],
  );
});

test('the endpoints host routes move to the new gateway when the default route changes, and stay put otherwise', async (t) => {
  const mac = macWithUtun();
  const journal = await loggedJournal(scratch(t), mac);
  const plan = planFor('Address = 10.9.0.2/32', 'AllowedIPs = 0.0.0.0/0\nEndpoint = 198.51.100.1:51820', false);
  const applied = await applyDarwinTunnelNetwork(plan, { journal }, mac);
  const changesBefore = mac.changes().length;
  mac.changeDefaultRoute(4, { gateway: '10.0.0.1', interface: 'en0', flags: ['UP', 'GATEWAY', 'DONE', 'STATIC'] });
  await waitFor(() => mac.routes.get('4 198.51.100.1')?.gateway === '10.0.0.1');
  assert.deepEqual(mac.changes().slice(changesBefore), [
    ['route', '-q', '-n', 'delete', '-inet', '198.51.100.1'],
    ['route', '-q', '-n', 'add', '-inet', '198.51.100.1', '-gateway', '10.0.0.1'],
  ]);
  // The helper's own route changes are announced too: nothing moves when the gateway is the same.
  const settled = mac.changes().length;
  mac.changeDefaultRoute(4, { gateway: '10.0.0.1', interface: 'en0', flags: ['UP', 'GATEWAY', 'DONE', 'STATIC'] });
  await waitFor(() => mac.calls.filter((argv) => argv.join(' ') === 'route -n get -inet default').length >= 3);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(mac.changes().length, settled);
  // The uplink goes: the endpoint is blackholed rather than sent into the tunnel.
  mac.changeDefaultRoute(4, undefined);
  await waitFor(() => mac.routes.get('4 198.51.100.1')?.flags.includes('BLACKHOLE') === true);
  await applied.undo();
  assert.equal(mac.routes.has('4 198.51.100.1'), false);
  assert.equal(mac.watchingRoutes, 0);
});

test('a host route to an endpoint that the user made is left alone, and not undone', async (t) => {
  const mac = macWithUtun();
  mac.routes.set('4 198.51.100.1', {
    gateway: '192.168.1.254',
    interface: 'en0',
    flags: ['UP', 'GATEWAY', 'HOST', 'DONE', 'STATIC'],
  });
  const journal = await loggedJournal(scratch(t), mac);
  const plan = planFor('Address = 10.9.0.2/32', 'AllowedIPs = 0.0.0.0/0\nEndpoint = 198.51.100.1:51820', false);
  const applied = await applyDarwinTunnelNetwork(plan, { journal }, mac);
  assert.equal(mac.calls.filter((argv) => argv.includes('198.51.100.1') && argv[3] === 'add').length, 0);
  await applied.undo();
  assert.equal(mac.routes.get('4 198.51.100.1')?.gateway, '192.168.1.254');
});

test('split tunnel: each allowed network routed to the utun, also those inside the interface address (a utun routes none by itself)', async (t) => {
  const mac = macWithUtun();
  const journal = await loggedJournal(scratch(t), mac);
  const plan = planFor(
    'Address = 10.3.0.2/24, fd03::2/64',
    'AllowedIPs = 10.3.0.0/24, 10.3.0.128/25, fd03::/64, 192.168.7.0/24\nEndpoint = 192.0.2.3:51000',
    false,
  );
  await applyDarwinTunnelNetwork(plan, { journal }, mac);
  assert.deepEqual(
    mac.changes().filter((argv) => argv[0] === 'route'),
    [
      ['route', '-q', '-n', 'add', '-inet6', 'fd03::/64', '-interface', IF],
      ['route', '-q', '-n', 'add', '-inet', '10.3.0.128/25', '-interface', IF],
      ['route', '-q', '-n', 'add', '-inet', '192.168.7.0/24', '-interface', IF],
      ['route', '-q', '-n', 'add', '-inet', '10.3.0.0/24', '-interface', IF],
    ],
  );
  assert.equal(mac.watchingRoutes, 1, 'the automatic MTU follows the uplink');
});

test('macOS has one routing table: a numeric Table is refused before anything changes; Table = off adds no routes', async (t) => {
  const mac = macWithUtun();
  const journal = await loggedJournal(scratch(t), mac);
  await assert.rejects(
    applyDarwinTunnelNetwork(
      planFor('Address = 10.9.0.2/32\nTable = 1234', 'AllowedIPs = 0.0.0.0/0'),
      { journal },
      mac,
    ),
    (error: Error) => error instanceof PlanError && /single routing table/.test(error.message),
  );
  assert.deepEqual(mac.calls, []);
  await applyDarwinTunnelNetwork(
    planFor('Address = 10.9.0.2/32\nTable = off', 'AllowedIPs = 0.0.0.0/0', false),
    { journal },
    mac,
  );
  assert.equal(mac.changes().filter((argv) => argv[0] === 'route').length, 0);
  await assert.rejects(
    applyDarwinTunnelNetwork(
      { ...planFor('Address = 10.9.0.2/32', 'AllowedIPs = 10.0.0.0/8'), ifname: 'wg0' },
      { journal },
      mac,
    ),
    /not a utun interface/,
  );
});

test('DNS: every network service gets the tunnel servers and domains, and gets back exactly what it had', async (t) => {
  const mac = macWithUtun();
  const services = JSON.stringify([...mac.services]);
  const journal = await loggedJournal(scratch(t), mac);
  const plan = planFor(
    'Address = 10.9.0.2/32\nDNS = 10.9.0.1, fd00::53, corp.example',
    'AllowedIPs = 10.9.0.0/16',
    false,
  );
  const applied = await applyDarwinTunnelNetwork(plan, { journal }, mac);
  for (const [name, settings] of mac.services) {
    assert.deepEqual(settings, { servers: ['10.9.0.1', 'fd00::53'], domains: ['corp.example'] }, name);
  }
  const records = mac.calls
    .filter((argv) => argv[0] === '#record')
    .map((argv) => JSON.parse(argv[1]!) as DarwinUndoStep);
  assert.deepEqual(
    records.filter((step) => step.op === 'restore-dns-servers' || step.op === 'restore-search-domains'),
    [
      { op: 'restore-dns-servers', service: 'Wi-Fi', servers: null },
      { op: 'restore-search-domains', service: 'Wi-Fi', domains: null },
      { op: 'restore-dns-servers', service: 'USB 10/100/1000 LAN', servers: ['192.168.1.1', '2001:db8::53'] },
      { op: 'restore-search-domains', service: 'USB 10/100/1000 LAN', domains: ['home.example'] },
      // Disabled ("*Thunderbolt Bridge" in the list) is a service too: it may be enabled while the tunnel is up.
      { op: 'restore-dns-servers', service: 'Thunderbolt Bridge', servers: null },
      { op: 'restore-search-domains', service: 'Thunderbolt Bridge', domains: ['lab.example', 'corp.example'] },
    ],
  );
  // A service that appears while the tunnel is up gets the tunnel's DNS at the next change of the routing table.
  mac.services.set('iPhone USB', { servers: ['172.20.10.1'], domains: null });
  mac.changeDefaultRoute(4, mac.routes.get('4 default'));
  await waitFor(() => mac.services.get('iPhone USB')?.servers?.[0] === '10.9.0.1');
  await applied.undo();
  mac.services.delete('iPhone USB');
  assert.equal(JSON.stringify([...mac.services]), services);
});

test('DNS with no search domains clears the services own while up, as wg-quick does; a reply it cannot read stops the bring-up and undoes it', async (t) => {
  const mac = macWithUtun();
  const journal = await loggedJournal(scratch(t), mac);
  await applyDarwinTunnelNetwork(
    planFor('Address = 10.9.0.2/32\nDNS = 10.9.0.1', 'AllowedIPs = 10.9.0.0/16', false),
    { journal },
    mac,
  );
  assert.deepEqual(mac.services.get('USB 10/100/1000 LAN'), { servers: ['10.9.0.1'], domains: null });

  const broken = macWithUtun();
  const before = broken.snapshot();
  const brokenJournal = await loggedJournal(scratch(t), broken);
  const run = broken.run;
  (broken as { run: typeof run }).run = async (argv, options) =>
    argv[1] === '-getdnsservers' && argv[2] === 'Thunderbolt Bridge'
      ? { stdout: '** Error: Unable to commit changes to network database.\n', stderr: '' }
      : run(argv, options);
  await assert.rejects(
    applyDarwinTunnelNetwork(
      planFor('Address = 10.9.0.2/32\nDNS = 10.9.0.1', 'AllowedIPs = 10.9.0.0/16', false),
      { journal: brokenJournal },
      broken,
    ),
    /Unable to commit/,
  );
  assert.equal(broken.snapshot(), before);
});

test('kill switch: a pf anchor under com.apple/ with the rules loaded, pf enabled by a token that undo releases', async (t) => {
  const mac = macWithUtun();
  const before = mac.snapshot();
  const journal = await loggedJournal(scratch(t), mac);
  const plan = planFor(
    'Address = 10.9.0.2/32, fd00::2/128\nDNS = 10.9.0.1, fd00::53',
    'AllowedIPs = 0.0.0.0/0, ::/0\nEndpoint = 198.51.100.1:51820',
  );
  assert.equal(plan.killSwitch, true);
  const applied = await applyDarwinTunnelNetwork(plan, { journal, engineListenPort: 51999 }, mac);
  const anchor = `com.apple/wirefly.${IF}`;
  assert.deepEqual(mac.changes().slice(-4), [
    record({ op: 'flush-pf-anchor', anchor }),
    ['pfctl', '-a', anchor, '-f', '-'],
    ['pfctl', '-E'],
    record({ op: 'release-pf-token', token: '1234567890123456789' }),
  ]);
  assert.equal(
    mac.pf.anchors.get(anchor),
    killSwitchRules({ ifname: IF, endpoints: plan.endpoints, dnsServers: plan.dns.servers, enginePort: 51999 }),
  );
  assert.match(mac.pf.anchors.get(anchor)!, /^pass in quick proto udp to any port 51999$/m);
  assert.deepEqual([...mac.pf.references], ['1234567890123456789']);
  await applied.updateEngineListenPort!(40000);
  assert.equal(
    mac.pf.anchors.get(anchor),
    killSwitchRules({ ifname: IF, endpoints: plan.endpoints, dnsServers: plan.dns.servers, enginePort: 40000 }),
    'the engine moved to another port: the anchor follows',
  );
  await applied.undo();
  assert.equal(mac.snapshot(), before);
  const undone = mac.calls.map((argv) => argv.join(' '));
  const released = undone.indexOf('pfctl -X 1234567890123456789');
  assert.ok(
    released > 0 && released < undone.indexOf(`pfctl -a ${anchor} -F rules`),
    'the token goes first, newest first',
  );
  const split = planFor('Address = 10.9.0.2/32', 'AllowedIPs = 10.9.0.0/24\nEndpoint = 198.51.100.1:51820', false);
  const withoutKillSwitch = await applyDarwinTunnelNetwork(split, { journal, engineListenPort: 51999 }, mac);
  assert.equal(withoutKillSwitch.updateEngineListenPort, undefined, 'no kill switch, nothing names the port');
  await withoutKillSwitch.undo();
});

test('kill switch: refused, with everything undone, where the main ruleset does not evaluate com.apple/ anchors', async (t) => {
  const mac = macWithUtun();
  mac.pf.mainAnchors = [];
  const before = mac.snapshot();
  const journal = await loggedJournal(scratch(t), mac);
  await assert.rejects(
    applyDarwinTunnelNetwork(
      planFor('Address = 10.9.0.2/32', 'AllowedIPs = 0.0.0.0/0\nEndpoint = 198.51.100.1:51820'),
      { journal },
      mac,
    ),
    /evaluate the anchors under com\.apple/,
  );
  assert.equal(mac.snapshot(), before);
  assert.equal(mac.commandsOf('pfctl').filter((argv) => argv[1] === '-a').length, 0);
});

test("pf rules, full tunnel, IPv4 and IPv6 endpoints and DNS servers; the engine's port from and to anywhere", () => {
  const endpoints = [
    { ...address('198.51.100.1'), port: 51820 },
    { ...address('2001:db8::1'), port: 443 },
  ];
  assert.equal(
    killSwitchRules({
      ifname: 'utun7',
      endpoints,
      dnsServers: [address('10.9.0.1'), address('fd00::53')],
      enginePort: 51999,
    }),
    [
      'pass quick on lo0 all',
      'pass out quick on utun7 inet proto { tcp, udp } to { 10.9.0.1 } port 53',
      'pass out quick on utun7 inet6 proto { tcp, udp } to { fd00::53 } port 53',
      'block drop out quick proto { tcp, udp } to any port 53',
      'pass quick on utun7 all',
      'pass out quick proto udp from any port 51999',
      'pass in quick proto udp to any port 51999',
      'pass out quick inet proto udp to 198.51.100.1 port 51820',
      'pass in quick inet proto udp from 198.51.100.1 port 51820',
      'pass out quick inet6 proto udp to 2001:db8::1 port 443',
      'pass in quick inet6 proto udp from 2001:db8::1 port 443',
      'pass out quick inet proto udp from any port 68 to any port 67',
      'pass in quick inet proto udp from any port 67 to any port 68',
      'pass out quick inet6 proto icmp6 icmp6-type { routersol, neighbrsol, neighbradv }',
      'pass in quick inet6 proto icmp6 icmp6-type { routeradv, neighbrsol, neighbradv, redir }',
      'pass out quick inet6 proto udp from any port 546 to ff02::1:2 port 547',
      'pass in quick inet6 proto udp from fe80::/10 port 547 to any port 546',
      'block drop quick all',
      '',
    ].join('\n'),
  );
});

test('pf rules, split tunnel asked to block, IPv4 only and no DNS servers: DNS may go through the tunnel to anyone', () => {
  const rules = killSwitchRules({
    ifname: 'utun3',
    endpoints: [{ ...address('192.0.2.3'), port: 51000 }],
    dnsServers: [],
  });
  const lines = rules.split('\n');
  assert.equal(lines[1], 'pass out quick on utun3 proto { tcp, udp } to any port 53');
  assert.equal(lines[2], 'block drop out quick proto { tcp, udp } to any port 53');
  assert.deepEqual(
    lines.filter((line) => line.includes('192.0.2.3')),
    ['pass out quick inet proto udp to 192.0.2.3 port 51000', 'pass in quick inet proto udp from 192.0.2.3 port 51000'],
  );
  assert.equal(lines.filter((line) => line.includes('inet6 proto udp to ')).length, 0);
  assert.equal(lines.at(-2), 'block drop quick all');
});

test('a failure half way undoes what was done, newest first', async (t) => {
  const mac = macWithUtun();
  const before = mac.snapshot();
  const journal = await loggedJournal(scratch(t), mac);
  const run = mac.run;
  (mac as { run: typeof run }).run = async (argv, options) => {
    if (argv.join(' ').includes('8000::/1'))
      throw new Error('route: writing to routing socket: Network is unreachable');
    return run(argv, options);
  };
  await assert.rejects(
    applyDarwinTunnelNetwork(
      planFor('Address = 10.9.0.2/32, fd00::2/128', 'AllowedIPs = 0.0.0.0/0, ::/0', false),
      { journal },
      mac,
    ),
    /Network is unreachable/,
  );
  assert.equal(mac.snapshot(), before);
});

test('crash: a new helper undoes a crashed one journal, every kind of step, and leaves the Mac as it was', async (t) => {
  const dir = scratch(t);
  const mac = macWithUtun();
  const before = mac.snapshot();
  const journal = await Journal.open(dir, darwinUndoPerformer(mac.run));
  const plan = planFor(
    'Address = 10.9.0.2/32, fd00::2/128\nDNS = 10.9.0.1, corp.example',
    'AllowedIPs = 0.0.0.0/0, ::/0, 10.50.0.0/16\nEndpoint = 198.51.100.1:51820',
  );
  await applyDarwinTunnelNetwork(plan, { journal }, mac);
  // The helper dies here. The utun lives on only while a process holds it; this one is kept, the harder case.
  const restarted = await Journal.open(dir, darwinUndoPerformer(mac.run));
  const report = await restarted.recover();
  assert.deepEqual(report.recovered, [IF]);
  assert.equal(mac.snapshot(), before);
  const ops = new Set(
    mac.calls
      .map((argv) => argv.join(' '))
      .filter((line) => / -alias$|mtu 1500$| down$|delete|-setdnsservers|-setsearchdomains|-X|-F rules/.test(line)),
  );
  assert.ok(ops.size >= 9, [...ops].join('\n'));
});

test('undo steps: each one is idempotent, including for an interface that is gone', async () => {
  const steps: DarwinUndoStep[] = [
    { op: 'delete-address', ifname: IF, address: '10.9.0.2/32' },
    { op: 'delete-address', ifname: IF, address: 'fd00::2/128' },
    { op: 'restore-mtu', ifname: IF, mtu: 1500 },
    { op: 'set-link-down', ifname: IF },
    { op: 'delete-route', ifname: IF, destination: '0.0.0.0/1' },
    { op: 'delete-route', ifname: IF, destination: '8000::/1' },
    { op: 'delete-host-route', address: '198.51.100.1' },
    { op: 'delete-host-route', address: '2001:db8::1' },
    { op: 'restore-dns-servers', service: 'Wi-Fi', servers: ['192.168.1.1'] },
    { op: 'restore-dns-servers', service: 'Gone Service', servers: null },
    { op: 'restore-search-domains', service: 'Wi-Fi', domains: null },
    { op: 'flush-pf-anchor', anchor: `com.apple/wirefly.${IF}` },
    { op: 'release-pf-token', token: '42' },
  ];
  const mac = new FakeMac();
  const perform = darwinUndoPerformer(mac.run);
  for (const step of steps) {
    assert.ok(isDarwinUndoStep(step), JSON.stringify(step));
    await perform(step);
    await perform(step);
  }
  assert.deepEqual(mac.services.get('Wi-Fi'), { servers: ['192.168.1.1'], domains: null });
  assert.deepEqual(mac.calls.slice(0, 2), [
    ['ifconfig', IF, 'inet', '10.9.0.2', '-alias'],
    ['ifconfig', IF, 'inet', '10.9.0.2', '-alias'],
  ]);
  assert.deepEqual(mac.calls[2], ['ifconfig', IF, 'inet6', 'fd00::2', '-alias']);
  assert.deepEqual(mac.calls[14], ['route', '-q', '-n', 'delete', '-inet6', '2001:db8::1']);
});

test('undo steps: a journal cannot ask for anything else', async () => {
  const perform = darwinUndoPerformer(new FakeMac().run);
  const bad: unknown[] = [
    null,
    { op: 'rm -rf /' },
    { op: 'delete-address', ifname: 'en0', address: '192.168.1.20/24' },
    { op: 'delete-address', ifname: IF, address: '10.9.0.2; reboot' },
    { op: 'delete-route', ifname: IF, destination: '-interface' },
    { op: 'delete-host-route', address: 'default' },
    { op: 'restore-mtu', ifname: IF, mtu: -1 },
    { op: 'restore-dns-servers', service: 'Wi-Fi', servers: ['-setairportpower'] },
    { op: 'restore-dns-servers', service: 'Wi\nFi', servers: null },
    { op: 'restore-dns-servers', service: '', servers: null },
    { op: 'restore-search-domains', service: 'Wi-Fi', domains: ['-x'] },
    { op: 'flush-pf-anchor', anchor: 'com.apple/250.ApplicationFirewall' },
    { op: 'flush-pf-anchor', anchor: '' },
    { op: 'release-pf-token', token: '-d' },
    { op: 'release-pf-token', token: 42 },
  ];
  for (const step of bad) {
    assert.equal(isDarwinUndoStep(step), false, JSON.stringify(step));
    await assert.rejects(perform(step), /not a valid macOS network undo step/);
  }
});

test('an automatic MTU follows the uplink; undo gives the utun its first MTU back', async (t) => {
  const mac = macWithUtun();
  const journal = await loggedJournal(scratch(t), mac);
  const plan = planFor('Address = 10.9.0.2/32', 'AllowedIPs = 10.1.0.0/16\nEndpoint = 198.51.100.1:51820', false);
  const applied = await applyDarwinTunnelNetwork(plan, { journal }, mac, { followIntervalMs: 0 });
  assert.equal(mac.interfaces.get(IF)?.mtu, 1420);
  mac.interfaces.get('en0')!.mtu = 1400;
  mac.changeDefaultRoute(4, mac.routes.get('4 default'));
  await waitFor(() => mac.interfaces.get(IF)?.mtu === 1320);
  await applied.undo();
  assert.equal(mac.interfaces.get(IF)?.mtu, 1500);
  // A configured MTU stays as configured, and a split tunnel without DNS then has nothing to follow.
  const fixed = macWithUtun();
  await applyDarwinTunnelNetwork(
    planFor('Address = 10.9.0.2/32\nMTU = 1380', 'AllowedIPs = 10.1.0.0/16', false),
    { journal: await loggedJournal(scratch(t), fixed) },
    fixed,
  );
  assert.equal(fixed.watchingRoutes, 0);
});

test('automatic MTU: the smallest MTU of the interfaces leading to the endpoints, minus 80', async (t) => {
  const mac = macWithUtun();
  mac.interfaces.set('en5', { mtu: 1400, up: true, addresses: [] });
  mac.routes.set('4 192.0.2.9', { interface: 'en5', flags: ['UP', 'HOST', 'DONE'] });
  const journal = await loggedJournal(scratch(t), mac);
  const applied = await applyDarwinTunnelNetwork(
    planFor(
      'Address = 10.9.0.2/32',
      'AllowedIPs = 10.1.0.0/16\nEndpoint = 192.0.2.9:51820\n[Peer]\nPublicKey = ' +
        KEY_A +
        '\nAllowedIPs = 10.2.0.0/16\nEndpoint = 198.51.100.1:51820',
      false,
    ),
    { journal },
    mac,
  );
  assert.equal(applied.mtu, 1320);
});

function address(text: string): IpAddress {
  const parsed = parseIpAddress(text);
  if (!parsed) throw new Error(text);
  return parsed;
}

async function waitFor(condition: () => boolean): Promise<void> {
  // The journal syncs each record to disk, so the follower's run takes real time.
  const deadline = Date.now() + 5000;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
  assert.ok(condition(), 'the route follower did not get there');
}

test("parsing macOS's tools: route -n get, ifconfig, networksetup's lists and sentences, pfctl's token and anchors", () => {
  const defaultRoute = [
    '   route to: default',
    'destination: default',
    '       mask: default',
    '    gateway: 192.168.1.1',
    '  interface: en0',
    '      flags: <UP,GATEWAY,DONE,STATIC,PRCLONING,GLOBAL>',
    ' recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire',
    '       0         0         0         0         0         0      1500         0',
  ].join('\n');
  assert.deepEqual(parseRouteGet(defaultRoute), {
    destination: 'default',
    gateway: '192.168.1.1',
    interface: 'en0',
    flags: ['UP', 'GATEWAY', 'DONE', 'STATIC', 'PRCLONING', 'GLOBAL'],
  });
  const linkRoute =
    '   route to: default\ndestination: default\n    gateway: link#12\n  interface: ppp0\n      flags: <UP,DONE,STATIC>\n';
  assert.deepEqual(parseRouteGet(linkRoute), {
    destination: 'default',
    interface: 'ppp0',
    flags: ['UP', 'DONE', 'STATIC'],
  });
  assert.deepEqual(
    parseIfconfig(
      'utun4',
      'utun4: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1380\n\tinet 10.9.0.2 --> 10.9.0.2 netmask 0xffffffff\n',
    ),
    {
      mtu: 1380,
      up: true,
    },
  );
  assert.deepEqual(parseIfconfig('utun5', 'utun5: flags=8010<POINTOPOINT,MULTICAST> mtu 1500\n'), {
    mtu: 1500,
    up: false,
  });
  assert.throws(() => parseIfconfig('utun5', 'ifconfig: interface utun5 does not exist'), /cannot read/);
  assert.deepEqual(
    parseServiceList(
      'An asterisk (*) denotes that a network service is disabled.\nWi-Fi\n*Thunderbolt Bridge\nUSB 10/100/1000 LAN\n',
    ),
    ['Wi-Fi', 'Thunderbolt Bridge', 'USB 10/100/1000 LAN'],
  );
  const isAddress = (line: string) => parseIpAddress(line) !== undefined;
  assert.equal(parseSettingList("There aren't any DNS Servers set on Wi-Fi.\n", isAddress, 'servers'), null);
  assert.deepEqual(parseSettingList('192.168.1.1\n2001:db8::53\n', isAddress, 'servers'), [
    '192.168.1.1',
    '2001:db8::53',
  ]);
  assert.throws(() => parseSettingList('192.168.1.1\nsomething else\n', isAddress, 'servers'), /cannot read/);
  assert.equal(
    parsePfToken(
      'No ALTQ support in kernel\nALTQ related functions disabled\npf enabled\nToken : 12709537390587418111\n',
    ),
    '12709537390587418111',
  );
  assert.throws(() => parsePfToken('pfctl: /dev/pf: Permission denied\n'), /gave no token/);
  assert.equal(mainRulesetEvaluatesAppleAnchors('  com.apple\n'), true);
  assert.equal(mainRulesetEvaluatesAppleAnchors('  com.apple.other\n  mine\n'), false);
});

test('the route follower: changes during a run fold into one more run, at least the interval later; stop ends a pause at once', async () => {
  const mac = new FakeMac();
  const starts: number[] = [];
  let release = () => {};
  const follower = new RouteFollower(
    (changed) => mac.watchRoutes(changed),
    [
      async () => {
        starts.push(performance.now());
        if (starts.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
    ],
    500,
  );
  mac.changeDefaultRoute(4, mac.routes.get('4 default'));
  for (let i = 0; i < 5; i++) mac.changeDefaultRoute(4, mac.routes.get('4 default'));
  release();
  await waitFor(() => starts.length === 2);
  assert.ok(starts[1]! - starts[0]! >= 499, `${starts[1]! - starts[0]!} ms apart`);
  mac.changeDefaultRoute(4, mac.routes.get('4 default'));
  mac.changeDefaultRoute(4, mac.routes.get('4 default'));
  // The third run is over and the pending change waits out its pause.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(starts.length, 3);
  const stopping = performance.now();
  await follower.stop();
  assert.ok(performance.now() - stopping < 400, 'stop does not wait out the pause');
  await new Promise((resolve) => setTimeout(resolve, 600));
  assert.equal(starts.length, 3, 'the run the first change started, and none after stop');
  assert.equal(mac.watchingRoutes, 0);
});

test("an endpoint resolved to another address: the kill switch's anchor reloaded with it, its host route added, the old one's deleted", async (t) => {
  const mac = macWithUtun();
  const dir = scratch(t);
  const journal = await loggedJournal(join(dir, 'live'), mac);
  const plan = planFor(
    'Address = 10.9.0.2/32\nDNS = 10.9.0.1',
    'AllowedIPs = 0.0.0.0/0\nEndpoint = 198.51.100.1:51820',
  );
  const applied = await applyDarwinTunnelNetwork(plan, { journal }, mac, { followIntervalMs: 0 });
  const changesBefore = mac.changes().length;
  const moved = parseEndpoint('203.0.113.9:51820')!;
  await applied.updateEndpoints!([moved]);
  const anchor = `com.apple/wirefly.${IF}`;
  assert.deepEqual(mac.changes().slice(changesBefore), [
    ['pfctl', '-a', anchor, '-f', '-'],
    ['route', '-q', '-n', 'delete', '-inet', '198.51.100.1'],
    record({ op: 'delete-host-route', address: '203.0.113.9' }),
    ['route', '-q', '-n', 'add', '-inet', '203.0.113.9', '-gateway', '192.168.1.1'],
  ]);
  assert.equal(
    mac.pf.anchors.get(anchor),
    killSwitchRules({ ifname: IF, endpoints: [moved], dnsServers: plan.dns.servers }),
  );
  assert.equal(mac.routes.has('4 198.51.100.1'), false);
  // A crash now: recovery deletes the route to the new address; the old one's record was retired with its route.
  cpSync(join(dir, 'live'), join(dir, 'crashed'), { recursive: true });
  const restarted = macWithUtun();
  await (await Journal.open(join(dir, 'crashed'), darwinUndoPerformer(restarted.run))).recover();
  assert.deepEqual(
    restarted.calls
      .map((argv) => argv.join(' '))
      .filter((line) => line.startsWith('route -q -n delete') && !line.includes('/')),
    ['route -q -n delete -inet 203.0.113.9'],
  );
  // The new address's route follows the gateway from then on.
  mac.changeDefaultRoute(4, { gateway: '10.0.0.1', interface: 'en0', flags: ['UP', 'GATEWAY', 'DONE', 'STATIC'] });
  await waitFor(() => mac.routes.get('4 203.0.113.9')?.gateway === '10.0.0.1');
  await applied.undo();
  assert.deepEqual(
    [...mac.routes.keys()].filter((key) => !key.endsWith('default')),
    [],
  );
  assert.equal(mac.pf.anchors.get(anchor), '', 'flushed');
  assert.deepEqual([...mac.pf.references], []);
});
