import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseConfig, type WgQuickConfig } from '../../helper/src/config/index.js';
import { formatCidr, formatEndpoint, formatIpAddress, parseIpAddress } from '../../helper/src/net/ip.js';
import { PlanError, planTunnelNetwork, type PlanOptions, type TunnelNetworkPlan } from '../../helper/src/os/network.js';

const KEY_A = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const KEY_B = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const KEY_C = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';

function config(interfaceLines: string, ...peers: string[]): WgQuickConfig {
  const text = [
    '[Interface]',
    `PrivateKey = ${KEY_A}`,
    interfaceLines,
    ...peers.map((peer, i) => `[Peer]\nPublicKey = ${[KEY_B, KEY_C][i]}\n${peer}`),
  ].join('\n');
  const parsed = parseConfig(text);
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join('; '));
  return parsed.config;
}

function plan(c: WgQuickConfig, options: Partial<PlanOptions> = {}): TunnelNetworkPlan {
  return planTunnelNetwork(c, { ifname: 'wf0', ...options });
}

const routeTexts = (p: TunnelNetworkPlan) => p.routes.map((r) => `${formatCidr(r.destination)} ${r.table}`);

test('split tunnel: routes in main for every allowed network, most specific first, no kill switch', () => {
  const p = plan(
    config('Address = 10.9.0.2/32', 'AllowedIPs = 10.0.0.0/8, 192.168.5.0/24\nEndpoint = 198.51.100.1:51820'),
  );
  assert.deepEqual(routeTexts(p), ['192.168.5.0/24 main', '10.0.0.0/8 main']);
  assert.deepEqual(p.fullTunnel, []);
  assert.equal(p.killSwitch, false);
  assert.equal(p.table, 'auto');
  assert.equal(p.mtu, 'auto');
  assert.deepEqual(p.endpoints.map(formatEndpoint), ['198.51.100.1:51820']);
});

test('full tunnel under Table = auto: /0 goes to policy routing per family, not to main, and the kill switch is on', () => {
  const p = plan(config('Address = 10.9.0.2/32, fd00::2/128', 'AllowedIPs = 0.0.0.0/0, ::/0, 172.16.0.0/12'));
  assert.deepEqual(p.fullTunnel, [4, 6]);
  assert.deepEqual(routeTexts(p), ['172.16.0.0/12 main']);
  assert.equal(p.killSwitch, true);
});

test('full tunnel for one family only', () => {
  const p = plan(config('Address = 10.9.0.2/32', 'AllowedIPs = ::/0'));
  assert.deepEqual(p.fullTunnel, [6]);
  assert.equal(p.killSwitch, true);
});

test('the kill switch follows the choice when one is made', () => {
  const full = config('Address = 10.9.0.2/32', 'AllowedIPs = 0.0.0.0/0');
  assert.equal(plan(full, { killSwitch: false }).killSwitch, false);
  const split = config('Address = 10.9.0.2/32', 'AllowedIPs = 10.0.0.0/8');
  assert.equal(plan(split, { killSwitch: true }).killSwitch, true);
});

test('0.0.0.0/1 + 128.0.0.0/1 are ordinary routes', () => {
  const p = plan(config('Address = 10.9.0.2/32', 'AllowedIPs = 0.0.0.0/1, 128.0.0.0/1'));
  assert.deepEqual(p.fullTunnel, []);
  assert.deepEqual(routeTexts(p), ['0.0.0.0/1 main', '128.0.0.0/1 main']);
});

test('Table = off: no routes and no policy routing, even for /0', () => {
  const p = plan(config('Address = 10.9.0.2/32\nTable = off', 'AllowedIPs = 0.0.0.0/0, 10.0.0.0/8'));
  assert.deepEqual(p.routes, []);
  assert.deepEqual(p.fullTunnel, []);
  assert.equal(p.killSwitch, false);
  assert.equal(p.table, 'off');
});

test('Table = number: every allowed network, /0 included, is a plain route in that table', () => {
  const p = plan(config('Address = 10.9.0.2/24\nTable = 1234', 'AllowedIPs = 0.0.0.0/0, 10.9.0.0/24'));
  assert.deepEqual(routeTexts(p), ['10.9.0.0/24 1234', '0.0.0.0/0 1234']);
  assert.deepEqual(p.fullTunnel, []);
  assert.equal(p.killSwitch, true, 'all IPv4 traffic may go through the tunnel');
});

test('Table = main: /0 is a plain route in main', () => {
  const p = plan(config('Address = 10.9.0.2/32\nTable = main', 'AllowedIPs = ::/0'));
  assert.deepEqual(routeTexts(p), ['::/0 main']);
  assert.deepEqual(p.fullTunnel, []);
});

test('networks are masked and deduplicated across peers; the address network the kernel routes is left out', () => {
  const p = plan(
    config(
      'Address = 10.9.0.2/24, fd00::2/64',
      'AllowedIPs = 10.9.0.0/24, 10.1.2.3/16, fd00::/64',
      'AllowedIPs = 10.1.0.0/16, 10.9.0.7/32, fd00:1::/48',
    ),
  );
  assert.deepEqual(routeTexts(p), ['fd00:1::/48 main', '10.1.0.0/16 main']);
});

test('addresses, MTU, FwMark, DNS servers and search domains come from the interface section', () => {
  const p = plan(
    config(
      'Address = 10.9.0.2/24, fd00::2/64\nMTU = 1380\nFwMark = 0x1234\nDNS = 10.9.0.1, fd00::1, corp.example, 10.9.0.1, lab.example',
      'AllowedIPs = 10.9.0.0/24',
    ),
  );
  assert.deepEqual(p.addresses.map(formatCidr), ['10.9.0.2/24', 'fd00::2/64']);
  assert.equal(p.mtu, 1380);
  assert.equal(p.fwmark, 0x1234);
  assert.deepEqual(p.dns.servers.map(formatIpAddress), ['10.9.0.1', 'fd00::1']);
  assert.deepEqual(p.dns.searchDomains, ['corp.example', 'lab.example']);
  assert.deepEqual(p.routes, [], 'covered by the interface address');
});

test('FwMark = off means the executor picks the mark', () => {
  const p = plan(config('Address = 10.9.0.2/32\nFwMark = off', 'AllowedIPs = 0.0.0.0/0'));
  assert.equal(p.fwmark, undefined);
});

test('endpoints written as host names take the addresses the caller resolved', () => {
  const c = config(
    'Address = 10.9.0.2/32',
    'AllowedIPs = 10.0.0.0/8\nEndpoint = vpn.example.net:443',
    'AllowedIPs = 10.2.0.0/16\nEndpoint = [2001:db8::9]:51820',
  );
  const resolved = new Map([['vpn.example.net', [parseIpAddress('203.0.113.7')!, parseIpAddress('2001:db8::7')!]]]);
  const p = plan(c, { resolvedHosts: resolved });
  assert.deepEqual(p.endpoints.map(formatEndpoint), ['203.0.113.7:443', '[2001:db8::7]:443', '[2001:db8::9]:51820']);
  assert.throws(
    () => plan(c),
    (error: unknown) => error instanceof PlanError && /vpn\.example\.net/.test(error.message),
  );
});

test('an invalid interface name is refused', () => {
  const c = config('Address = 10.9.0.2/32', 'AllowedIPs = 10.0.0.0/8');
  for (const ifname of ['', 'x'.repeat(16), 'a b', 'a"b', 'a;b']) {
    assert.throws(() => plan(c, { ifname }), PlanError);
  }
});

test('property: routes plus full-tunnel families account for every allowed network under Table = auto', () => {
  const v4 = fc
    .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 32 }))
    .map(([a, b, prefix]) => `${a}.${b}.0.0/${prefix}`);
  const v6 = fc
    .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 128 }))
    .map(([group, prefix]) => `${group.toString(16)}::/${prefix}`);
  fc.assert(
    fc.property(fc.array(fc.oneof(v4, v6), { minLength: 1, maxLength: 12 }), (networks) => {
      const c = config('Address = 192.0.2.1/32', `AllowedIPs = ${networks.join(', ')}`);
      const p = plan(c);
      const masked = new Set(
        c.peers[0]!.allowedIps.map((n) => formatCidr({ ...n, bytes: maskBytes(n.bytes, n.prefix) })),
      );
      const planned = new Set(p.routes.map((r) => formatCidr(r.destination)));
      for (const family of p.fullTunnel) planned.add(family === 4 ? '0.0.0.0/0' : '::/0');
      planned.delete('192.0.2.1/32');
      masked.delete('192.0.2.1/32');
      assert.deepEqual([...planned].sort(), [...masked].sort());
      assert.equal(p.routes.length, planned.size - p.fullTunnel.length, 'no duplicates');
      for (let i = 1; i < p.routes.length; i++)
        assert.ok(p.routes[i - 1]!.destination.prefix >= p.routes[i]!.destination.prefix);
      assert.equal(p.killSwitch, p.fullTunnel.length > 0);
    }),
  );
});

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  return bytes.map((byte, i) => {
    const bits = Math.max(0, Math.min(8, prefix - 8 * i));
    return byte & (0xff << (8 - bits)) & 0xff;
  });
}
