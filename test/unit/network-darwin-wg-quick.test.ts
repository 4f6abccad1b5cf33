// Wirefly's macOS plan against wg-quick's: for every valid config of the
// corpus, the changes Wirefly makes on a (fake) Mac are the ones wg-quick's
// darwin script (wireguard-tools, src/wg-quick/darwin.bash) would make there.
// `wgQuickDarwin` below is our own statement of that script's behaviour, read
// from it, not a copy of it:
//   - each Address: IPv4 as `ifconfig IF inet A/P A alias` (the address is its
//     own far end), IPv6 as `ifconfig IF inet6 A/P alias`;
//   - MTU: the configured one with `ifconfig IF mtu M`; otherwise the default
//     route's interface MTU (1500 if unknown) minus 80, set only if the utun
//     has another; then `ifconfig IF up`;
//   - the allowed IPs of all peers as `wg show IF allowed-ips` prints them
//     (masked, each once), most specific first: Table = off adds none; a /0
//     under Table = auto becomes 0.0.0.0/1 + 128.0.0.0/1 or ::/1 + 8000::/1
//     (`route -q -n add -inet(6) NET -interface IF`); any other route is added
//     the same way under auto or main, and any other Table stops the script
//     ("Darwin only supports TABLE=auto|main|off");
//   - with a /0 so routed, each endpoint of that family gets
//     `route -q -n add -inet(6) EP -gateway GW` through the default route's
//     gateway, or `EP 127.0.0.1 -blackhole` (`::1`) without one. (An IPv6
//     endpoint when only IPv4 is routed whole is handed to `route -inet`,
//     which refuses it: no route, which is what Wirefly does too);
//   - with DNS servers, every network service of `networksetup
//     -listallnetworkservices` (disabled ones too) gets `-setdnsservers S ...`
//     and `-setsearchdomains S ...` (or `Empty` when the config has none).
// wg-quick has no kill switch; these plans are made without one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, type WgQuickConfig } from '../../helper/src/config/index.js';
import { formatCidr, formatIpAddress, maskCidr, type IpAddress } from '../../helper/src/net/ip.js';
import { PlanError, planTunnelNetwork, type UndoJournal } from '../../helper/src/os/network.js';
import { applyDarwinTunnelNetwork } from '../../helper/src/os/darwin/index.js';
import { loadFixtures } from '../fixtures/configs/corpus.js';
import { FakeMac } from './support/darwin-fake.js';

const IF = 'utun6';

type Outcome = { readonly commands: string[][] } | { readonly refused: string };

function wgQuickDarwin(config: WgQuickConfig, mac: FakeMac, endpoints: readonly IpAddress[]): Outcome {
  const commands: string[][] = [];
  const iface = config.interface;
  for (const address of iface.addresses) {
    const text = formatCidr(address);
    commands.push(
      address.family === 6
        ? ['ifconfig', IF, 'inet6', text, 'alias']
        : ['ifconfig', IF, 'inet', text, formatIpAddress(address), 'alias'],
    );
  }
  if (iface.mtu !== undefined) {
    commands.push(['ifconfig', IF, 'mtu', String(iface.mtu)]);
  } else {
    const defaultInterface = mac.routes.get('4 default')?.interface;
    const mtu = (defaultInterface ? mac.interfaces.get(defaultInterface)?.mtu : undefined) ?? 1500;
    if (mtu - 80 !== mac.interfaces.get(IF)?.mtu) commands.push(['ifconfig', IF, 'mtu', String(mtu - 80)]);
  }
  commands.push(['ifconfig', IF, 'up']);
  const table = iface.table ?? 'auto';
  const seen = new Set<string>();
  const allowed = config.peers
    .flatMap((peer) => peer.allowedIps.map(maskCidr))
    .filter((cidr) => !seen.has(formatCidr(cidr)) && seen.add(formatCidr(cidr)))
    .sort((a, b) => b.prefix - a.prefix);
  const whole = new Set<4 | 6>();
  for (const cidr of allowed) {
    if (table === 'off') continue;
    const family = cidr.family === 4 ? '-inet' : '-inet6';
    if (cidr.prefix === 0 && table === 'auto') {
      whole.add(cidr.family);
      const halves = cidr.family === 4 ? ['0.0.0.0/1', '128.0.0.0/1'] : ['::/1', '8000::/1'];
      for (const half of halves) commands.push(['route', '-q', '-n', 'add', family, half, '-interface', IF]);
      continue;
    }
    if (table !== 'auto' && table !== 'main') return { refused: 'Darwin only supports TABLE=auto|main|off' };
    commands.push(['route', '-q', '-n', 'add', family, formatCidr(cidr), '-interface', IF]);
  }
  for (const endpoint of endpoints) {
    if (!whole.has(endpoint.family)) continue;
    const family = endpoint.family === 4 ? '-inet' : '-inet6';
    const gateway = mac.routes.get(`${endpoint.family} default`)?.gateway;
    const via = gateway ? ['-gateway', gateway] : [endpoint.family === 4 ? '127.0.0.1' : '::1', '-blackhole'];
    commands.push(['route', '-q', '-n', 'add', family, formatIpAddress(endpoint), ...via]);
  }
  if (iface.dns.length > 0) {
    for (const service of mac.services.keys()) {
      commands.push(['networksetup', '-setdnsservers', service, ...iface.dns.map(formatIpAddress)]);
      commands.push([
        'networksetup',
        '-setsearchdomains',
        service,
        ...(iface.dnsSearch.length > 0 ? iface.dnsSearch : ['Empty']),
      ]);
    }
  }
  return { commands };
}

const noJournal: UndoJournal = {
  begin: async () => ({ record: async () => {}, retire: async () => {}, undo: async () => {} }),
};

/** Names resolve to documentation addresses, one each, as the helper resolves them before planning. */
function resolveHosts(config: WgQuickConfig): Map<string, IpAddress[]> {
  const hosts = new Map<string, IpAddress[]>();
  for (const peer of config.peers) {
    if (peer.endpoint?.kind !== 'hostname') continue;
    hosts.set(peer.endpoint.host, [{ family: 4, bytes: new Uint8Array([203, 0, 113, 10 + hosts.size]) }]);
  }
  return hosts;
}

async function wireflyDarwin(config: WgQuickConfig, mac: FakeMac): Promise<Outcome> {
  try {
    const plan = planTunnelNetwork(config, { ifname: IF, killSwitch: false, resolvedHosts: resolveHosts(config) });
    await applyDarwinTunnelNetwork(plan, { journal: noJournal }, mac);
    return { commands: mac.changes() };
  } catch (error) {
    if (error instanceof PlanError) return { refused: error.message };
    throw error;
  }
}

function freshMac(): FakeMac {
  const mac = new FakeMac();
  mac.interfaces.set(IF, { mtu: 1500, up: false, addresses: [] });
  return mac;
}

/** Routes as a set: wg-quick sorts with `sort -nr`, which orders equal prefixes as it likes. */
function split(commands: readonly string[][]) {
  const text = (argv: string[]) => argv.join(' ');
  return {
    interface: commands.filter((argv) => argv[0] === 'ifconfig').map(text),
    routes: commands
      .filter((argv) => argv[0] === 'route')
      .map(text)
      .sort(),
    dns: commands
      .filter((argv) => argv[0] === 'networksetup')
      .map(text)
      .sort(),
    order: [...new Set(commands.map((argv) => (argv[0] === 'route' && argv.includes('-interface') ? 'net' : argv[0])))],
  };
}

const fixtures = loadFixtures('valid');

test('the corpus has configs for every path of the script: full and split, v4 and v6, DNS, Table = main, off and a number', () => {
  const configs = fixtures.map((fixture) => parseConfig(fixture.text)).filter((parsed) => parsed.ok);
  assert.equal(configs.length, fixtures.length);
  const all = configs.map((parsed) => (parsed.ok ? parsed.config : undefined)!);
  const allowed = all.flatMap((config) => config.peers.flatMap((peer) => peer.allowedIps));
  assert.ok(allowed.some((cidr) => cidr.prefix === 0 && cidr.family === 4));
  assert.ok(allowed.some((cidr) => cidr.prefix === 0 && cidr.family === 6));
  assert.ok(all.some((config) => config.interface.dns.length > 0 && config.interface.dnsSearch.length > 0));
  assert.ok(all.some((config) => config.interface.table === 'main'));
  assert.ok(all.some((config) => config.interface.table === 'off'));
  assert.ok(all.some((config) => typeof config.interface.table === 'number'));
});

for (const fixture of fixtures) {
  test(`wg-quick on macOS and Wirefly make the same changes for ${fixture.name}`, async () => {
    const parsed = parseConfig(fixture.text);
    assert.ok(parsed.ok);
    const config = parsed.config;
    const mac = freshMac();
    const endpoints = planTunnelNetwork(config, { ifname: IF, resolvedHosts: resolveHosts(config) }).endpoints;
    const expected = wgQuickDarwin(config, freshMac(), endpoints);
    const actual = await wireflyDarwin(config, mac);
    if ('refused' in expected) {
      assert.ok('refused' in actual, `wg-quick refuses (${expected.refused}); Wirefly made ${JSON.stringify(actual)}`);
      assert.deepEqual(mac.changes(), [], 'Wirefly refuses before it changes anything');
      return;
    }
    assert.ok('commands' in actual, JSON.stringify(actual));
    const want = split(expected.commands);
    const got = split(actual.commands);
    assert.deepEqual(got.interface, want.interface, 'ifconfig, in order');
    assert.deepEqual(got.routes, want.routes, 'routes');
    assert.deepEqual(got.dns, want.dns, 'DNS');
    assert.deepEqual(got.order, want.order, 'interface, then networks, then host routes, then DNS');
    const prefixes = actual.commands
      .filter((argv) => argv[0] === 'route' && argv.includes('-interface'))
      .map((argv) => Number(argv[5]!.split('/')[1]));
    const halves = prefixes.filter(
      (prefix) => prefix === 1 && config.peers.some((peer) => peer.allowedIps.some((cidr) => cidr.prefix === 0)),
    ).length;
    const others = prefixes.slice(0, prefixes.length - halves);
    assert.deepEqual(
      others,
      [...others].sort((a, b) => b - a),
      'most specific first, the halves last',
    );
  });
}
