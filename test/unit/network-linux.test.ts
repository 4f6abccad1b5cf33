// The Linux executors against a scripted command runner: which commands run,
// in what order, each change journaled before it is made, and undo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../helper/src/config/index.js';
import { parseEndpoint, parseIpAddress } from '../../helper/src/net/ip.js';
import { planTunnelNetwork, type TunnelNetworkPlan } from '../../helper/src/os/network.js';
import { applyTunnelNetwork, networkUndoPerformer } from '../../helper/src/os/linux/index.js';
import { CommandFailed, type CommandRunner } from '../../helper/src/os/command.js';
import { detectDnsBackend } from '../../helper/src/os/linux/dns.js';
import { killSwitchScript } from '../../helper/src/os/linux/firewall.js';
import { autoMtu } from '../../helper/src/os/linux/mtu.js';
import { isWireflyNftTable, nftTableName } from '../../helper/src/os/linux/nftables.js';
import { firstFreeTable } from '../../helper/src/os/linux/policy-routing.js';
import { isNetworkUndoStep, performNetworkUndoStep } from '../../helper/src/os/linux/undo-steps.js';
import { Journal } from '../../helper/src/service/journal.js';

const KEY_A = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const KEY_B = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';

function planFor(interfaceLines: string, peerLines: string, killSwitch?: boolean): TunnelNetworkPlan {
  const parsed = parseConfig(
    `[Interface]\nPrivateKey = ${KEY_A}\n${interfaceLines}\n[Peer]\nPublicKey = ${KEY_B}\n${peerLines}\n`,
  );
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join('; '));
  return planTunnelNetwork(parsed.config, { ifname: 'wf0', ...(killSwitch === undefined ? {} : { killSwitch }) });
}

/** A pretend system: answers queries, logs every command, fails where told. */
class FakeSystem {
  readonly log: string[] = [];
  readonly inputs: string[] = [];
  failWhen: (command: string) => string | undefined = () => undefined;
  answers: [RegExp, string][] = [
    [/^ip -j link show dev wf\d$/, '[{"mtu":1500,"flags":["POINTOPOINT","NOARP"]}]'],
    [/^ip -j route get /, '[{"dst":"x","dev":"eth0"}]'],
    [/^ip -j link show dev eth0$/, '[{"mtu":1500,"flags":["UP"]}]'],
    [/^ip -[46] rule show$/, '0:\tfrom all lookup local\n32766:\tfrom all lookup main\n'],
    [/^sysctl -n /, '0\n'],
  ];

  readonly run: CommandRunner = async (argv, options) => {
    const command = argv.join(' ');
    this.log.push(command);
    if (options?.input !== undefined) this.inputs.push(options.input);
    const stderr = this.failWhen(command);
    if (stderr !== undefined) throw new CommandFailed(argv, 2, stderr);
    return this.answers.find(([pattern]) => pattern.test(command))?.[1] ?? '';
  };

  /** The commands that change something, in order. */
  changes(): string[] {
    return this.log.filter((c) => !/ -j |^sysctl -n|rule show|route show/.test(c));
  }
}

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-net-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A journal whose records also land in the system's log, to check that each comes before its change. */
async function loggedJournal(dir: string, system: FakeSystem) {
  const journal = await Journal.open(dir, networkUndoPerformer(system.run));
  return {
    journal,
    async begin(label: string) {
      const set = await journal.begin(label);
      return {
        record: async (step: object) => {
          system.log.push(`record ${JSON.stringify(step)}`);
          await set.record(step);
        },
        retire: (step: object) => set.retire(step),
        undo: () => set.undo(),
      };
    },
  };
}

test('full tunnel with kill switch: commands in order, each change journaled first, undo reverses exactly', async (t) => {
  const dir = scratch(t);
  const system = new FakeSystem();
  const journal = await loggedJournal(dir, system);
  const resolvConf = join(dir, 'resolv.conf');
  writeFileSync(resolvConf, 'nameserver 192.0.2.53\n');
  const marks: number[] = [];
  const plan = planFor(
    'Address = 10.9.0.2/32, fd00::2/128\nDNS = 10.9.0.1',
    'AllowedIPs = 0.0.0.0/0, ::/0, 10.50.0.0/16\nEndpoint = 198.51.100.1:51820',
  );
  const applied = await applyTunnelNetwork(plan, {
    journal,
    runner: system.run,
    setFwmark: async (mark) => void marks.push(mark),
    dnsBackend: 'file',
    resolvConfPath: resolvConf,
  });
  assert.equal(applied.mtu, 1420);
  assert.equal(applied.fwmark, 51820);
  assert.equal(applied.dnsBackend, 'file');
  assert.deepEqual(marks, [51820]);
  assert.deepEqual(system.changes(), [
    'record {"op":"delete-address","ifname":"wf0","address":"10.9.0.2/32"}',
    'ip -4 address add 10.9.0.2/32 dev wf0',
    'record {"op":"delete-address","ifname":"wf0","address":"fd00::2/128"}',
    'ip -6 address add fd00::2/128 dev wf0',
    'record {"op":"restore-mtu","ifname":"wf0","mtu":1500}',
    'ip link set dev wf0 mtu 1420',
    'record {"op":"set-link-down","ifname":"wf0"}',
    'ip link set dev wf0 up',
    'record {"op":"delete-route","ifname":"wf0","destination":"10.50.0.0/16","table":"main"}',
    'ip -4 route add 10.50.0.0/16 dev wf0 table main',
    'record {"op":"delete-fwmark-rule","family":4,"fwmark":51820}',
    'ip -4 rule add not fwmark 51820 table 51820',
    'record {"op":"delete-suppress-rule","family":4}',
    'ip -4 rule add table main suppress_prefixlength 0',
    'record {"op":"delete-route","ifname":"wf0","destination":"0.0.0.0/0","table":51820}',
    'ip -4 route add 0.0.0.0/0 dev wf0 table 51820',
    'record {"op":"delete-fwmark-rule","family":6,"fwmark":51820}',
    'ip -6 rule add not fwmark 51820 table 51820',
    'record {"op":"delete-suppress-rule","family":6}',
    'ip -6 rule add table main suppress_prefixlength 0',
    'record {"op":"delete-route","ifname":"wf0","destination":"::/0","table":51820}',
    'ip -6 route add ::/0 dev wf0 table 51820',
    'record {"op":"restore-sysctl","key":"net.ipv4.conf.all.src_valid_mark","value":"0"}',
    'sysctl -qw net.ipv4.conf.all.src_valid_mark=1',
    'record {"op":"delete-nft-table","table":"wirefly-fullroute-wf0"}',
    'nft -f -',
    `record ${JSON.stringify({ op: 'restore-resolv-conf', path: resolvConf, marker: '# Written by Wirefly for tunnel wf0; the previous contents come back when it goes down.', original: Buffer.from('nameserver 192.0.2.53\n').toString('base64') })}`,
    'record {"op":"delete-nft-table","table":"wirefly-killswitch-wf0"}',
    'nft -f -',
  ]);
  assert.match(readFileSync(resolvConf, 'utf8'), /^# Written by Wirefly for tunnel wf0.*\nnameserver 10\.9\.0\.1\n$/);
  assert.match(system.inputs[0]!, /table inet wirefly-fullroute-wf0/);
  assert.match(system.inputs[1]!, /table inet wirefly-killswitch-wf0/);

  system.log.length = 0;
  await applied.undo();
  assert.deepEqual(system.log, [
    'nft delete table inet wirefly-killswitch-wf0',
    'nft delete table inet wirefly-fullroute-wf0',
    'sysctl -qw net.ipv4.conf.all.src_valid_mark=0',
    'ip -6 route delete ::/0 dev wf0 table 51820',
    'ip -6 rule delete table main suppress_prefixlength 0',
    'ip -6 rule delete not fwmark 51820 table 51820',
    'ip -4 route delete 0.0.0.0/0 dev wf0 table 51820',
    'ip -4 rule delete table main suppress_prefixlength 0',
    'ip -4 rule delete not fwmark 51820 table 51820',
    'ip -4 route delete 10.50.0.0/16 dev wf0 table main',
    'ip link set dev wf0 down',
    'ip link set dev wf0 mtu 1500',
    'ip address delete fd00::2/128 dev wf0',
    'ip address delete 10.9.0.2/32 dev wf0',
  ]);
  assert.equal(readFileSync(resolvConf, 'utf8'), 'nameserver 192.0.2.53\n');
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.journal')),
    [],
  );
});

test('split tunnel with Table = off and an explicit MTU on an up link: only addresses and MTU change', async (t) => {
  const dir = scratch(t);
  const system = new FakeSystem();
  system.answers.unshift([/^ip -j link show dev wf0$/, '[{"mtu":1500,"flags":["UP"]}]']);
  const plan = planFor('Address = 10.9.0.2/24\nMTU = 1400\nTable = off', 'AllowedIPs = 0.0.0.0/0');
  const applied = await applyTunnelNetwork(plan, {
    journal: await Journal.open(dir, networkUndoPerformer(system.run)),
    runner: system.run,
  });
  assert.equal(applied.mtu, 1400);
  assert.equal(applied.fwmark, undefined);
  assert.equal(applied.dnsBackend, undefined);
  assert.deepEqual(system.changes(), ['ip -4 address add 10.9.0.2/24 dev wf0', 'ip link set dev wf0 mtu 1400']);
});

test("a full tunnel needs a way to set the engine's fwmark", async (t) => {
  const system = new FakeSystem();
  const plan = planFor('Address = 10.9.0.2/32', 'AllowedIPs = 0.0.0.0/0');
  await assert.rejects(
    applyTunnelNetwork(plan, {
      journal: await Journal.open(scratch(t), networkUndoPerformer(system.run)),
      runner: system.run,
    }),
    /setFwmark/,
  );
  assert.deepEqual(system.log, []);
});

test('a failure half-way undoes what was done and keeps nothing in the journal', async (t) => {
  const dir = scratch(t);
  const system = new FakeSystem();
  system.failWhen = (command) =>
    command.startsWith('ip -4 route add 10.60') ? 'RTNETLINK answers: File exists' : undefined;
  const plan = planFor('Address = 10.9.0.2/32\nMTU = 1420', 'AllowedIPs = 10.50.0.0/16, 10.60.0.0/16');
  await assert.rejects(
    applyTunnelNetwork(plan, {
      journal: await Journal.open(dir, networkUndoPerformer(system.run)),
      runner: system.run,
    }),
    /File exists/,
  );
  const undo = system.log.slice(system.log.findIndex((c) => c.startsWith('ip -4 route add 10.60')) + 1);
  assert.deepEqual(undo, [
    'ip -4 route delete 10.60.0.0/16 dev wf0 table main',
    'ip -4 route delete 10.50.0.0/16 dev wf0 table main',
    'ip link set dev wf0 down',
    'ip link set dev wf0 mtu 1500',
    'ip address delete 10.9.0.2/32 dev wf0',
  ]);
  assert.deepEqual(readdirSync(dir), []);
});

test('the FwMark from the config is used as mark and table; a taken table is skipped otherwise', async (t) => {
  const system = new FakeSystem();
  const plan = planFor('Address = 10.9.0.2/32\nFwMark = 0x1234\nMTU = 1420', 'AllowedIPs = 0.0.0.0/0', false);
  const applied = await applyTunnelNetwork(plan, {
    journal: await Journal.open(scratch(t), networkUndoPerformer(system.run)),
    runner: system.run,
    setFwmark: async () => {},
  });
  assert.equal(applied.fwmark, 0x1234);
  assert.ok(system.log.includes('ip -4 rule add not fwmark 4660 table 4660'));

  const busy = new FakeSystem();
  busy.answers.unshift(
    [/^ip -4 rule show$/, '32765:\tnot from all fwmark 0xca6c lookup 51820\n'],
    [/^ip -6 route show table 51821$/, 'default dev other metric 1024 pref medium\n'],
  );
  assert.equal(await firstFreeTable(busy.run), 51822);
});

test('undo steps are idempotent: "already gone" from the tools counts as done, other failures do not', async () => {
  const gone = [
    'RTNETLINK answers: No such process',
    'Error: ipv4: Address not found.',
    'Cannot find device "wf0"',
    'Error: FIB table does not exist.',
    'RTNETLINK answers: No such file or directory',
    'Error: No such file or directory\ndelete table inet wirefly-killswitch-wf0',
  ];
  for (const stderr of gone) {
    const system = new FakeSystem();
    system.failWhen = () => stderr;
    await performNetworkUndoStep(system.run, {
      op: 'delete-route',
      ifname: 'wf0',
      destination: '10.0.0.0/8',
      table: 'main',
    });
    await performNetworkUndoStep(system.run, { op: 'delete-nft-table', table: 'wirefly-killswitch-wf0' });
  }
  const system = new FakeSystem();
  system.failWhen = () => 'RTNETLINK answers: Operation not permitted';
  await assert.rejects(
    performNetworkUndoStep(system.run, { op: 'delete-address', ifname: 'wf0', address: '10.0.0.1/24' }),
    /Operation not permitted/,
  );
});

test('journal records read back from disk are checked before anything runs', async () => {
  const valid = [
    { op: 'delete-link', ifname: 'wf0' },
    { op: 'delete-route', ifname: 'wf0', destination: '::/0', table: 51820 },
    { op: 'delete-fwmark-rule', family: 6, fwmark: 51820 },
    { op: 'delete-nft-table', table: 'wirefly-killswitch-wf_3d0' },
    { op: 'restore-sysctl', key: 'net.ipv4.conf.all.src_valid_mark', value: '0' },
    { op: 'restore-resolv-conf', path: '/etc/resolv.conf', marker: '# x', original: null },
  ];
  for (const step of valid) assert.ok(isNetworkUndoStep(step), JSON.stringify(step));
  const invalid: unknown[] = [
    null,
    [],
    { op: 'run', argv: ['rm', '-rf', '/'] },
    { op: 'delete-link', ifname: 'wf0; reboot' },
    { op: 'delete-link', ifname: 'a-very-long-interface' },
    { op: 'delete-route', ifname: 'wf0', destination: '10.0.0.0/33', table: 'main' },
    { op: 'delete-route', ifname: 'wf0', destination: '10.0.0.0/8', table: 'local' },
    { op: 'delete-fwmark-rule', family: 5, fwmark: 1 },
    { op: 'delete-nft-table', table: 'filter' },
    { op: 'restore-sysctl', key: 'kernel.core_pattern', value: '0' },
    { op: 'restore-sysctl', key: 'net.ipv4.conf.all.src_valid_mark', value: '1; x' },
    { op: 'restore-resolv-conf', path: 'relative', marker: '#', original: null },
  ];
  for (const step of invalid) assert.ok(!isNetworkUndoStep(step), JSON.stringify(step));
  const system = new FakeSystem();
  await assert.rejects(
    networkUndoPerformer(system.run)({ op: 'delete-link', ifname: '$(x)' }),
    /not a valid network undo step/,
  );
  assert.deepEqual(system.log, []);
});

test('nft table names: valid identifiers, one per interface name, recognised as ours', () => {
  const names = ['wg0', 'wg_0', 'wg=0', 'wg+0', 'wg.0-a', 'wg_3d0'];
  const tables = names.map((name) => nftTableName('killswitch', name));
  assert.equal(new Set(tables).size, names.length);
  for (const table of tables) {
    assert.match(table, /^[A-Za-z][A-Za-z0-9_.-]*$/);
    assert.ok(isWireflyNftTable(table));
  }
  assert.ok(!isWireflyNftTable('wirefly-other-wg0'));
});

test('kill switch script: tunnel, loopback, endpoints, DHCP and NDP pass; DNS only to the servers in the tunnel', () => {
  const script = killSwitchScript({
    ifname: 'wf0',
    endpoints: [parseEndpoint('198.51.100.1:51820')!, parseEndpoint('[2001:db8::1]:443')!],
    dnsServers: [parseIpAddress('10.9.0.1')!, parseIpAddress('fd00::1')!, parseIpAddress('10.9.0.2')!],
  });
  const output = script.slice(script.indexOf('chain output'), script.indexOf('chain input'));
  const input = script.slice(script.indexOf('chain input'));
  const order = (text: string, ...parts: string[]) => {
    const positions = parts.map((part) => text.indexOf(part));
    positions.forEach((p, i) => assert.ok(p >= 0, `missing ${parts[i]}`));
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => a - b),
      `order of ${parts.join(' | ')}`,
    );
  };
  order(
    output,
    'oifname "lo" accept',
    'oifname "wf0" ip daddr { 10.9.0.1, 10.9.0.2 } meta l4proto { tcp, udp } th dport 53 accept',
    'oifname "wf0" ip6 daddr { fd00::1 } meta l4proto { tcp, udp } th dport 53 accept',
    'meta l4proto { tcp, udp } th dport 53 counter name "dropped_dns" drop',
    'oifname "wf0" accept',
    'ip daddr 198.51.100.1 udp dport 51820 accept',
    'ip6 daddr 2001:db8::1 udp dport 443 accept',
    'udp sport 68 udp dport 67 accept',
    'nd-neighbor-solicit',
    'counter name "dropped_out" drop',
  );
  order(
    input,
    'iifname "lo" accept',
    'iifname "wf0" accept',
    'ip saddr 198.51.100.1 udp sport 51820 accept',
    'counter name "dropped_in" drop',
  );
  assert.ok(!/ct state/.test(script), 'no established shortcut around the tunnel');
  const noServers = killSwitchScript({ ifname: 'wf0', endpoints: [], dnsServers: [] });
  assert.match(noServers, /oifname "wf0" meta l4proto \{ tcp, udp \} th dport 53 accept/);
});

test("kill switch script: with the engine's mark, its packets leave for any address, their flows' replies come back, and its socket hears from any address", () => {
  const endpoints = [parseEndpoint('198.51.100.1:51820')!];
  const script = killSwitchScript({ ifname: 'wf0', endpoints, dnsServers: [], engineMark: 51820 });
  const output = script.slice(script.indexOf('chain output'), script.indexOf('chain input'));
  const input = script.slice(script.indexOf('chain input'));
  const between = (text: string, first: string, middle: string, last: string) => {
    const [a, b, c] = [text.indexOf(first), text.indexOf(middle), text.indexOf(last)];
    assert.ok(a >= 0 && a < b && b < c, `${middle} between ${first} and ${last}`);
  };
  between(
    output,
    'oifname "wf0" accept',
    'meta mark 51820 ct mark set meta mark accept',
    'counter name "dropped_out" drop',
  );
  between(input, 'iifname "wf0" accept', 'ct mark 51820 accept', 'counter name "dropped_in" drop');
  between(input, 'iifname "wf0" accept', 'socket mark 51820 accept', 'counter name "dropped_in" drop');
  assert.ok(!/ct state/.test(script), 'no established shortcut around the tunnel');
  assert.doesNotMatch(killSwitchScript({ ifname: 'wf0', endpoints, dnsServers: [] }), /mark/, 'no mark, no rule');
});

test("auto MTU: the smallest path MTU to the endpoints minus 80, else the default route's, never below 1280", async () => {
  const system = new FakeSystem();
  system.answers = [
    [/^ip -j route get 198\.51\.100\.1$/, '[{"dev":"eth0"}]'],
    [/^ip -j route get 198\.51\.100\.2$/, '[{"dev":"eth0","metrics":[{"mtu":1400}]}]'],
    [/^ip -j route get 198\.51\.100\.3$/, '[{"dev":"ppp0"}]'],
    [/^ip -j link show dev eth0$/, '[{"mtu":9000}]'],
    [/^ip -j link show dev ppp0$/, '[{"mtu":1492}]'],
    [/^ip -j link show dev small0$/, '[{"mtu":1300}]'],
  ];
  system.failWhen = (command) =>
    command.includes('203.0.113.9') ? 'RTNETLINK answers: Network is unreachable' : undefined;
  const at = (text: string) => parseEndpoint(`${text}:51820`)!;
  assert.equal(await autoMtu(system.run, [at('198.51.100.1')]), 8920);
  assert.equal(await autoMtu(system.run, [at('198.51.100.1'), at('198.51.100.3'), at('198.51.100.2')]), 1320);
  assert.equal(await autoMtu(system.run, [at('203.0.113.9')]), 1420, 'nothing routable, no default route: 1500 - 80');
  system.answers.push([/^ip -j -4 route show default$/, '[{"dst":"default","dev":"ppp0"}]']);
  assert.equal(await autoMtu(system.run, []), 1412);
  system.answers.push([/^ip -j -6 route show default$/, '[{"dst":"default","dev":"small0"}]']);
  assert.equal(await autoMtu(system.run, []), 1280);
});

test('DNS backend: systemd-resolved when running, else resolvconf, else the file', () => {
  const probes = (tools: string[], paths: string[]) => ({
    onPath: (t: string) => tools.includes(t),
    exists: (p: string) => paths.includes(p),
  });
  const bus = '/run/systemd/resolve/io.systemd.Resolve';
  assert.equal(detectDnsBackend(probes(['resolvectl', 'resolvconf'], [bus])), 'resolved');
  assert.equal(detectDnsBackend(probes(['resolvectl', 'resolvconf'], [])), 'resolvconf');
  assert.equal(detectDnsBackend(probes(['resolvectl'], [])), 'file');
  assert.equal(detectDnsBackend(probes([], [bus])), 'file');
});

test('DNS through resolvconf and systemd-resolved: commands and their undo', async (t) => {
  const plan = planFor(
    'Address = 10.9.0.2/32\nMTU = 1420\nDNS = 10.9.0.1, corp.example',
    'AllowedIPs = 0.0.0.0/0',
    false,
  );
  for (const [backend, expected, undo] of [
    ['resolvconf', ['resolvconf -a tun.wf0 -m 0 -x'], ['resolvconf -d tun.wf0 -f']],
    [
      'resolved',
      ['resolvectl dns wf0 10.9.0.1', 'resolvectl domain wf0 corp.example ~.', 'resolvectl default-route wf0 yes'],
      ['resolvectl revert wf0'],
    ],
  ] as const) {
    const system = new FakeSystem();
    const applied = await applyTunnelNetwork(plan, {
      journal: await Journal.open(scratch(t), networkUndoPerformer(system.run)),
      runner: system.run,
      setFwmark: async () => {},
      dnsBackend: backend,
    });
    const dns = system.log.filter((c) => c.startsWith('resolv'));
    assert.deepEqual(dns, expected);
    if (backend === 'resolvconf') assert.equal(system.inputs.at(-1), 'nameserver 10.9.0.1\nsearch corp.example\n');
    system.log.length = 0;
    await applied.undo();
    assert.deepEqual(
      system.log.filter((c) => c.startsWith('resolv')),
      undo,
    );
  }
});

test('resolv.conf: restored byte for byte; left alone if rewritten since; removed if there was none; one tunnel at a time', async (t) => {
  const dir = scratch(t);
  const path = join(dir, 'resolv.conf');
  const original = Buffer.from('# keep\r\nnameserver 192.0.2.53\noptions edns0\n\u00e9');
  writeFileSync(path, original);
  const dnsPlan = planFor(
    'Address = 10.9.0.2/32\nMTU = 1420\nDNS = 10.9.0.1, fd00::1, a.example, b.example',
    'AllowedIPs = 10.0.0.0/8',
  );
  const options = async (system: FakeSystem) => ({
    journal: await Journal.open(join(dir, 'journal'), networkUndoPerformer(system.run)),
    runner: system.run,
    dnsBackend: 'file' as const,
    resolvConfPath: path,
  });
  const first = await applyTunnelNetwork(dnsPlan, await options(new FakeSystem()));
  const written = readFileSync(path, 'utf8');
  assert.equal(
    written.split('\n').slice(1).join('\n'),
    'nameserver 10.9.0.1\nnameserver fd00::1\nsearch a.example b.example\n',
  );

  const otherPlan = { ...dnsPlan, ifname: 'wf1' };
  await assert.rejects(
    applyTunnelNetwork(otherPlan, await options(new FakeSystem())),
    /already holds DNS written by Wirefly/,
  );
  assert.equal(readFileSync(path, 'utf8'), written);

  await first.undo();
  assert.deepEqual(readFileSync(path), original);

  const second = await applyTunnelNetwork(dnsPlan, await options(new FakeSystem()));
  writeFileSync(path, 'nameserver 203.0.113.1\n');
  await second.undo();
  assert.equal(readFileSync(path, 'utf8'), 'nameserver 203.0.113.1\n', 'a newer file by someone else stays');

  rmSync(path);
  const third = await applyTunnelNetwork(dnsPlan, await options(new FakeSystem()));
  assert.ok(existsSync(path));
  await third.undo();
  assert.ok(!existsSync(path));
});
