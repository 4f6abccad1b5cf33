// Tunnel networking against the real kernel, inside a namespace the test owns:
// a client namespace with a TUN interface and an uplink (veth with default
// routes) to a server namespace. Every command of the executors runs in the
// client namespace through `ip netns exec`; resolv.conf is the namespace's own
// (/etc/netns/NS/resolv.conf, which `ip netns exec` mounts over /etc/resolv.conf).
// After every undo or recovery the namespace must be exactly as before.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../helper/src/config/index.js';
import { parseEndpoint } from '../../helper/src/net/ip.js';
import { planTunnelNetwork, type TunnelNetworkPlan } from '../../helper/src/os/network.js';
import {
  applyTunnelNetwork,
  KILL_SWITCH_COUNTERS,
  killSwitchTable,
  networkUndoPerformer,
  type ApplyOptions,
  type CommandRunner,
} from '../../helper/src/os/linux/index.js';
import { spawnCommand } from '../../helper/src/os/command.js';
import { Journal } from '../../helper/src/service/journal.js';
import { withLab, type Lab } from './harness/lab.js';
import type { Namespace } from './harness/namespace.js';
import { inNamespace } from './harness/exec.js';
import type { BackgroundProcess } from './harness/background.js';

const KEY_A = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const KEY_B = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const ENDPOINT_PORT = 51820;
const ORIGINAL_RESOLV_CONF = "# the namespace's own\nnameserver 192.0.2.53\nsearch home.example\n";
const WAIT_MS = 10_000;

interface Client {
  readonly ns: Namespace;
  readonly server: Namespace;
  readonly serverAddress: string;
  readonly serverAddressV6: string;
  readonly ifname: string;
  readonly resolvConf: string;
  readonly journalDir: string;
  readonly run: CommandRunner;
}

/** Client namespace with uplink, default routes, a TUN interface and its own resolv.conf; removed by the lab and `t.after`. */
async function client(t: TestContext, lab: Lab): Promise<Client> {
  const ns = await lab.namespace();
  const server = await lab.namespace();
  const link = await lab.link(ns, server);
  await ns.exec('ip', ['-4', 'route', 'add', 'default', 'via', link.b.v4]);
  await ns.exec('ip', ['-6', 'route', 'add', 'default', 'via', link.b.v6]);
  const ifname = lab.tunnelInterfaceName();
  await ns.exec('ip', ['tuntap', 'add', 'dev', ifname, 'mode', 'tun']);
  // The kernel gives a link its default qdisc the first time it goes up, for good;
  // in the helper the engine's fresh interface goes away at down anyway.
  await ns.exec('ip', ['link', 'set', 'dev', ifname, 'up']);
  await ns.exec('ip', ['link', 'set', 'dev', ifname, 'down']);
  const netnsEtc = join('/etc/netns', ns.name);
  t.after(() => rmSync(netnsEtc, { recursive: true, force: true }));
  mkdirSync(netnsEtc, { recursive: true });
  const resolvConf = join(netnsEtc, 'resolv.conf');
  writeFileSync(resolvConf, ORIGINAL_RESOLV_CONF);
  const journalDir = mkdtempSync(join(tmpdir(), 'wirefly-journal-'));
  t.after(() => rmSync(journalDir, { recursive: true, force: true }));
  await settled(ns);
  const run: CommandRunner = (argv, options) => spawnCommand(inNamespace(ns.name, argv[0]!, argv.slice(1)), options);
  await settled(server);
  return { ns, server, serverAddress: link.b.v4, serverAddressV6: link.b.v6, ifname, resolvConf, journalDir, run };
}

/** IPv6 duplicate address detection changes `ip addr` output for a while after a link comes up. */
async function settled(ns: Namespace): Promise<void> {
  await waitFor(
    async () => (await ns.exec('ip', ['-6', 'address', 'show', 'tentative'])).trim() === '',
    'IPv6 addresses to settle',
  );
}

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Everything a tunnel may touch in the namespace. */
async function snapshot(c: Client): Promise<Record<string, string>> {
  const exec = (...args: string[]) => c.ns.exec(args[0]!, args.slice(1));
  return {
    links: await exec('ip', 'link', 'show'),
    addresses: await exec('ip', 'address', 'show'),
    routes4: await exec('ip', '-4', 'route', 'show', 'table', 'all'),
    routes6: await exec('ip', '-6', 'route', 'show', 'table', 'all'),
    rules4: await exec('ip', '-4', 'rule', 'show'),
    rules6: await exec('ip', '-6', 'rule', 'show'),
    nft: await exec('nft', 'list', 'ruleset'),
    srcValidMark: await exec('sysctl', '-n', 'net.ipv4.conf.all.src_valid_mark'),
    resolvConf: await exec('cat', '/etc/resolv.conf'),
  };
}

function configText(c: Client, interfaceLines: string, allowedIps: string): string {
  return [
    '[Interface]',
    `PrivateKey = ${KEY_A}`,
    interfaceLines,
    '[Peer]',
    `PublicKey = ${KEY_B}`,
    `AllowedIPs = ${allowedIps}`,
    `Endpoint = ${c.serverAddress}:${ENDPOINT_PORT}`,
  ].join('\n');
}

function plan(c: Client, interfaceLines: string, allowedIps: string, killSwitch?: boolean): TunnelNetworkPlan {
  const parsed = parseConfig(configText(c, interfaceLines, allowedIps));
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join('; '));
  return planTunnelNetwork(parsed.config, { ifname: c.ifname, ...(killSwitch === undefined ? {} : { killSwitch }) });
}

async function options(c: Client): Promise<ApplyOptions> {
  return {
    journal: await Journal.open(c.journalDir, networkUndoPerformer(c.run)),
    runner: c.run,
    setFwmark: async () => {},
    dnsBackend: 'file',
    resolvConfPath: c.resolvConf,
  };
}

const FULL_TUNNEL = 'Address = 10.9.0.2/32, fd00:9::2/128\nDNS = 10.9.0.1, vpn.example';

async function counter(c: Client, name: string): Promise<number> {
  const out = JSON.parse(
    await c.ns.exec('nft', ['-j', 'list', 'counter', 'inet', killSwitchTable(c.ifname), name]),
  ) as {
    nftables: { counter?: { packets: number } }[];
  };
  const packets = out.nftables.find((entry) => entry.counter)?.counter?.packets;
  if (packets === undefined) throw new Error(`no counter ${name}`);
  return packets;
}

test('split tunnel: addresses, MTU, routes in main and DNS while up; exactly the namespace as before after undo', async (t) => {
  await withLab(t, async (lab) => {
    const c = await client(t, lab);
    const before = await snapshot(c);
    const applied = await applyTunnelNetwork(
      plan(
        c,
        'Address = 10.9.0.2/24, fd00:9::2/64\nDNS = 10.9.0.1, corp.example',
        '10.9.0.0/24, 10.50.0.0/16, fd00:50::/48',
      ),
      await options(c),
    );
    assert.equal(applied.mtu, 1420, 'veth MTU 1500 - 80');
    const link = await c.ns.exec('ip', ['address', 'show', 'dev', c.ifname]);
    assert.match(link, /mtu 1420/);
    assert.match(link, /inet 10\.9\.0\.2\/24/);
    assert.match(link, /inet6 fd00:9::2\/64/);
    assert.match(await c.ns.exec('ip', ['-4', 'route', 'show', '10.50.0.0/16']), new RegExp(`dev ${c.ifname}`));
    assert.match(await c.ns.exec('ip', ['-6', 'route', 'show', 'fd00:50::/48']), new RegExp(`dev ${c.ifname}`));
    assert.match(
      await c.ns.exec('ip', ['-4', 'route', 'get', '203.0.113.5']),
      /dev veth1/,
      'the default route is untouched',
    );
    assert.equal(await c.ns.exec('cat', ['/etc/resolv.conf']), readFileSync(c.resolvConf, 'utf8'));
    assert.match(await c.ns.exec('cat', ['/etc/resolv.conf']), /\nnameserver 10\.9\.0\.1\nsearch corp\.example\n$/);
    assert.doesNotMatch(await c.ns.exec('nft', ['list', 'ruleset']), /wirefly/, 'no kill switch for a split tunnel');
    await applied.undo();
    assert.deepEqual(await snapshot(c), before);
    assert.deepEqual(readdirSync(c.journalDir), []);
  });
});

test('Table = off adds no routes, not even for /0', async (t) => {
  await withLab(t, async (lab) => {
    const c = await client(t, lab);
    const before = await snapshot(c);
    const applied = await applyTunnelNetwork(
      plan(c, 'Address = 10.9.0.2/32\nTable = off\nMTU = 1400', '0.0.0.0/0, 10.50.0.0/16'),
      await options(c),
    );
    const after = await snapshot(c);
    for (const key of ['routes4', 'rules4', 'rules6', 'nft'] as const) {
      const added = after[key]!.split('\n').filter((line) => !before[key]!.split('\n').includes(line));
      // Only the kernel's own routes for the address and link (local table, IPv6 multicast/link-local).
      assert.deepEqual(
        added.filter((line) => !/proto kernel|table local/.test(line)),
        [],
        `${key}: ${added.join(' | ')}`,
      );
    }
    await applied.undo();
    assert.deepEqual(await snapshot(c), before);
  });
});

test('full tunnel: fwmark policy rules for both families, no routing loop, kill switch drops untunneled traffic and lets the endpoint through; undo restores all', async (t) => {
  await withLab(t, async (lab) => {
    const c = await client(t, lab);
    const before = await snapshot(c);
    const marks: number[] = [];
    const applied = await applyTunnelNetwork(plan(c, FULL_TUNNEL, '0.0.0.0/0, ::/0'), {
      ...(await options(c)),
      setFwmark: async (mark) => void marks.push(mark),
    });
    assert.equal(applied.fwmark, 51820);
    assert.deepEqual(marks, [51820]);
    for (const family of ['-4', '-6']) {
      const rules = await c.ns.exec('ip', [family, 'rule', 'show']);
      assert.match(rules, /not from all fwmark 0xca6c lookup 51820/);
      assert.match(rules, /from all lookup main suppress_prefixlength 0/);
      assert.match(
        await c.ns.exec('ip', [family, 'route', 'show', 'table', '51820']),
        new RegExp(`default dev ${c.ifname}`),
      );
    }
    // Unmarked traffic goes into the tunnel; the engine's marked packets keep the uplink.
    assert.match(await c.ns.exec('ip', ['-4', 'route', 'get', '203.0.113.5']), new RegExp(`dev ${c.ifname}`));
    assert.match(await c.ns.exec('ip', ['-6', 'route', 'get', '2001:db8::5']), new RegExp(`dev ${c.ifname}`));
    assert.match(await c.ns.exec('ip', ['-4', 'route', 'get', c.serverAddress, 'mark', '51820']), /dev veth1/);
    assert.match(await c.ns.exec('ip', ['-4', 'route', 'get', '203.0.113.5', 'mark', '51820']), /dev veth1/);
    assert.equal((await c.ns.exec('sysctl', ['-n', 'net.ipv4.conf.all.src_valid_mark'])).trim(), '1');
    assert.match(await c.ns.exec('cat', ['/etc/resolv.conf']), /nameserver 10\.9\.0\.1\nsearch vpn\.example\n$/);

    // The kill switch: the server counts what reaches it from the client's uplink.
    await c.server.exec('nft', ['-f', '-'], {
      input: [
        'table inet seen {',
        '  counter endpoint {}',
        '  chain pre {',
        '    type filter hook prerouting priority raw; policy accept;',
        `    udp dport ${ENDPOINT_PORT} counter name "endpoint"`,
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    const droppedBefore = await counter(c, KILL_SWITCH_COUNTERS.droppedOut);
    const ping = await c.ns.exec('ping', ['-c', '1', '-W', '1', c.serverAddress]).then(
      () => 'replied',
      () => 'failed',
    );
    assert.equal(ping, 'failed', 'a ping out of the uplink is blocked');
    assert.ok((await counter(c, KILL_SWITCH_COUNTERS.droppedOut)) > droppedBefore);
    // What carries the engine's mark is not tied to the endpoints known at start: a roaming peer keeps working.
    const marked = await c.ns.exec('ping', ['-m', '51820', '-c', '1', '-W', '2', c.serverAddress]).then(
      () => 'replied',
      () => 'failed',
    );
    assert.equal(marked, 'replied', "with the engine's mark a ping leaves, and its reply comes back in");
    const dnsBefore = await counter(c, KILL_SWITCH_COUNTERS.droppedDns);
    await c.ns.exec('ncat', ['-u', '--send-only', '192.0.2.53', '53'], { input: 'query' }).catch(() => {});
    assert.ok(
      (await counter(c, KILL_SWITCH_COUNTERS.droppedDns)) > dnsBefore,
      'DNS to a server outside the tunnel is dropped',
    );
    await c.ns.exec('ncat', ['-u', '--send-only', c.serverAddress, String(ENDPOINT_PORT)], { input: 'handshake' });
    await waitFor(
      async () => /packets [1-9]/.test(await c.server.exec('nft', ['list', 'counter', 'inet', 'seen', 'endpoint'])),
      'UDP to the endpoint to arrive',
    );

    await applied.undo();
    assert.deepEqual(await snapshot(c), before);
    assert.equal(await c.ns.exec('ping', ['-c', '1', '-W', '5', c.serverAddress]).then(() => 'replied'), 'replied');
  });
});

test('a kill switch on a split tunnel follows an endpoint resolved to another address: it passes from then on, the old one no longer, the counts kept', async (t) => {
  await withLab(t, async (lab) => {
    const c = await client(t, lab);
    const before = await snapshot(c);
    const applied = await applyTunnelNetwork(plan(c, 'Address = 10.9.0.2/24', '10.9.0.0/24', true), await options(c));
    assert.ok(applied.fwmark !== undefined, 'the engine is marked for the kill switch even with no full tunnel');
    await c.server.exec('nft', ['-f', '-'], {
      input: [
        'table inet seen {',
        '  counter v4 {}',
        '  counter v6 {}',
        '  chain pre {',
        '    type filter hook prerouting priority raw; policy accept;',
        `    meta nfproto ipv4 udp dport ${ENDPOINT_PORT} counter name "v4"`,
        `    meta nfproto ipv6 udp dport ${ENDPOINT_PORT} counter name "v6"`,
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    const seen = async (family: 'v4' | 'v6') =>
      Number(/packets (\d+)/.exec(await c.server.exec('nft', ['list', 'counter', 'inet', 'seen', family]))![1]);
    // A blocked send fails in ncat (EPERM): what counts is what the server sees, and the drop counter.
    const send = (address: string) =>
      c.ns.exec('ncat', ['-u', '--send-only', address, String(ENDPOINT_PORT)], { input: 'handshake' }).catch(() => {});
    const dropped = () => counter(c, KILL_SWITCH_COUNTERS.droppedOut);

    await send(c.serverAddress);
    await waitFor(async () => (await seen('v4')) > 0, 'UDP to the endpoint of bring-up to arrive');
    const droppedAtStart = await dropped();
    await send(c.serverAddressV6);
    assert.ok((await dropped()) > droppedAtStart, 'the other address is not an endpoint yet');
    assert.equal(await seen('v6'), 0);

    await applied.updateEndpoints!([parseEndpoint(`[${c.serverAddressV6}]:${ENDPOINT_PORT}`)!]);
    await send(c.serverAddressV6);
    await waitFor(async () => (await seen('v6')) > 0, 'UDP to the new endpoint to arrive');
    const v4Before = await seen('v4');
    const droppedBefore = await dropped();
    assert.ok(droppedBefore > droppedAtStart, 'the drop count is kept across the reload');
    await send(c.serverAddress);
    assert.ok((await dropped()) > droppedBefore, 'the old endpoint is no longer let through');
    assert.equal(await seen('v4'), v4Before);

    await c.server.exec('nft', ['delete', 'table', 'inet', 'seen']);
    await applied.undo();
    assert.deepEqual(await snapshot(c), before);
  });
});

/** Runs the helper stand-in inside the client namespace, from source under tsx or compiled. */
function driverArgs(...args: string[]): string[] {
  const self = fileURLToPath(import.meta.url);
  const driver = join(dirname(self), `network-crash-driver${extname(self)}`);
  return [...(extname(self) === '.ts' ? ['--import', 'tsx'] : []), driver, ...args];
}

function startDriver(c: Client, configFile: string, stopAfter?: number): BackgroundProcess {
  const stop = stopAfter === undefined ? [] : [String(stopAfter)];
  return c.ns.spawn(process.execPath, driverArgs('up', c.journalDir, c.ifname, configFile, ...stop));
}

/** The restarted helper, in the namespace like the one that crashed. */
async function recoverInNamespace(c: Client): Promise<{ recovered: string[]; steps: number }> {
  return JSON.parse(await c.ns.exec(process.execPath, driverArgs('recover', c.journalDir))) as {
    recovered: string[];
    steps: number;
  };
}

async function killWhen(driver: BackgroundProcess, word: string): Promise<void> {
  await waitFor(async () => {
    if (driver.hasExited) throw new Error(`${driver.label} ${driver.describeExit()}:\n${driver.log()}`);
    return driver.log().includes(word);
  }, `the driver to say "${word}"`);
  process.kill(driver.pid, 'SIGKILL');
  await driver.exited;
}

test('crash recovery: a helper killed (-9) after bringing a full tunnel up, or half-way, is undone from its journal', async (t) => {
  await withLab(t, async (lab) => {
    const c = await client(t, lab);
    const before = await snapshot(c);
    const configFile = join(lab.dir, `${c.ifname}.conf`);
    writeFileSync(configFile, configText(c, FULL_TUNNEL, '0.0.0.0/0, ::/0, 10.50.0.0/16'));

    await killWhen(startDriver(c, configFile), 'up');
    const up = await snapshot(c);
    assert.match(up.nft!, /wirefly-killswitch/);
    assert.match(up.rules4!, /suppress_prefixlength 0/);
    assert.match(up.resolvConf!, /nameserver 10\.9\.0\.1/);
    const report = await recoverInNamespace(c);
    assert.deepEqual(report.recovered, [c.ifname]);
    // 2 addresses, MTU, link up, 1 route, per family 2 rules and a route, sysctl, 2 nft tables, resolv.conf.
    assert.equal(report.steps, 15);
    assert.deepEqual(await snapshot(c), before);
    assert.deepEqual(readdirSync(c.journalDir), []);

    // Killed while bringing the tunnel up (of 14 commands that change something).
    for (const changes of [1, 8, 13]) {
      await killWhen(startDriver(c, configFile, changes), 'stopped');
      await recoverInNamespace(c);
      assert.deepEqual(await snapshot(c), before, `after a crash at change ${changes}`);
    }
  });
});
