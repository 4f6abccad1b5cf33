// The root helper end to end: a client namespace runs `wirefly-helper serve`
// and the `wirefly` CLI; a server namespace runs wireguard-go and NATs to a
// third namespace standing in for the internet; the client's uplink is a veth
// with a default route.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackgroundProcess } from './harness/background.js';
import { killSwitchTable } from '../../helper/src/os/linux/firewall.js';
import { PROTOCOL_VERSION } from '../../helper/src/rpc/index.js';
import { CommandError } from './harness/exec.js';
import { withLab, type Lab } from './harness/lab.js';
import type { Namespace } from './harness/namespace.js';
import { networkSnapshot, type NetworkSnapshot } from './harness/network-snapshot.js';
import { ping } from './harness/ping.js';
import { generateKeyPair, upTunnelInterface, wgSet, type KeyPair } from './harness/wg.js';
import { moveAddress, type VethLink } from './harness/veth.js';
import { wireguardGo, type WireGuardDaemon } from './harness/wireguard.js';

const PERMITTED_UID = 1; // daemon: an ordinary user who is not root
const INTERNET_HOST = '10.99.2.2';
const ORIGINAL_RESOLV_CONF = 'nameserver 10.99.1.2\nsearch lab.test\n';

function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

const HELPER = join(repositoryRoot(), 'helper', 'bin', 'wirefly-helper');
const CLI = join(repositoryRoot(), 'helper', 'bin', 'wirefly');

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface ServerTunnel {
  readonly ifname: string;
  readonly port: number;
  readonly subnet: string;
  daemon: WireGuardDaemon;
}

class HelperLab {
  private helperProcess: BackgroundProcess | undefined;
  readonly socket: string;
  readonly stateDir: string;
  readonly clientKeys = new Map<string, KeyPair>();

  private constructor(
    readonly lab: Lab,
    readonly client: Namespace,
    readonly server: Namespace,
    readonly internet: Namespace,
    /** veth1: `a` the client's end, `b` the server's. */
    readonly uplink: VethLink,
    readonly serverKeys: KeyPair,
  ) {
    this.socket = join(lab.dir, 'run', 'helper.sock');
    this.stateDir = join(lab.dir, 'state');
  }

  static async create(lab: Lab): Promise<HelperLab> {
    // The permitted user must reach the socket (and read configs) under the lab directory.
    chmodSync(lab.dir, 0o755);
    const [client, server, internet] = [await lab.namespace(), await lab.namespace(), await lab.namespace()];
    const uplink = await lab.link(client, server); // veth1: client 10.99.1.1, server 10.99.1.2
    await lab.link(server, internet); // veth2: server 10.99.2.1, internet 10.99.2.2
    await client.exec('ip', ['route', 'add', 'default', 'via', '10.99.1.2']);
    await server.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    await server.exec('nft', ['-f', '-'], {
      input:
        'table ip lab_nat {\n  chain post {\n    type nat hook postrouting priority 100;\n    oifname "veth2" masquerade\n  }\n}\n',
    });
    const netnsEtc = join('/etc/netns', client.name);
    mkdirSync(netnsEtc, { recursive: true });
    writeFileSync(join(netnsEtc, 'resolv.conf'), ORIGINAL_RESOLV_CONF);
    return new HelperLab(lab, client, server, internet, uplink, await generateKeyPair(lab.dir));
  }

  removeNetnsEtc(): void {
    rmSync(join('/etc/netns', this.client.name), { recursive: true, force: true });
  }

  async startHelper(): Promise<BackgroundProcess> {
    const helper = this.client.spawn(HELPER, [
      'serve',
      '--user',
      String(PERMITTED_UID),
      '--socket',
      this.socket,
      '--state-dir',
      this.stateDir,
      '--settings',
      join(this.lab.dir, 'helper.json'),
      '--verbose',
    ]);
    this.helperProcess = helper;
    // Not the socket file: a killed helper leaves its file behind, and recovery comes before listening.
    await waitFor('the helper to serve', () => {
      if (helper.hasExited) throw new Error(`helper ${helper.describeExit()}:\n${helper.log()}`);
      return helper.log().includes('serving uid');
    });
    return helper;
  }

  get helper(): BackgroundProcess {
    if (!this.helperProcess) throw new Error('helper not started');
    return this.helperProcess;
  }

  async serverTunnel(port: number, subnet: string): Promise<ServerTunnel> {
    const ifname = this.lab.tunnelInterfaceName();
    const daemon = await wireguardGo.start(this.server, ifname);
    const clientKeys = await generateKeyPair(this.lab.dir);
    this.clientKeys.set(ifname, clientKeys);
    await wgSet(this.server, ifname, {
      privateKeyFile: this.serverKeys.privateKeyFile,
      listenPort: port,
      peers: [{ publicKey: clientKeys.publicKey, allowedIps: [`${subnet}.2/32`] }],
    });
    await upTunnelInterface(this.server, ifname, [`${subnet}.1/24`], 1420);
    return { ifname, port, subnet, daemon };
  }

  /** Writes the client's config for `tunnel` as CLIENTIF.conf and returns its path. */
  clientConfig(
    tunnel: ServerTunnel,
    allowedIps: string,
    extra: readonly string[] = [],
  ): { path: string; name: string } {
    const name = this.lab.tunnelInterfaceName();
    const path = join(this.lab.dir, `${name}.conf`);
    const keys = this.clientKeys.get(tunnel.ifname)!;
    const text = [
      '[Interface]',
      `PrivateKey = ${keys.privateKey}`,
      `Address = ${tunnel.subnet}.2/32`,
      ...extra,
      '',
      '[Peer]',
      `PublicKey = ${this.serverKeys.publicKey}`,
      `AllowedIPs = ${allowedIps}`,
      `Endpoint = 10.99.1.2:${tunnel.port}`,
      '',
    ].join('\n');
    writeFileSync(path, text, { mode: 0o644 });
    return { path, name };
  }

  /** Runs the wirefly CLI in the client namespace as the permitted user. */
  cli(args: readonly string[]): Promise<string> {
    return this.client.exec('setpriv', [
      `--reuid=${PERMITTED_UID}`,
      `--regid=${PERMITTED_UID}`,
      '--clear-groups',
      process.execPath,
      CLI,
      ...args,
      '--socket',
      this.socket,
    ]);
  }

  async status(): Promise<StatusJson> {
    return JSON.parse(await this.cli(['status', '--json'])) as StatusJson;
  }

  /** Everything a tunnel may change in the client namespace, as text to compare. */
  snapshot(): Promise<NetworkSnapshot> {
    return networkSnapshot(this.client);
  }

  /** Server-side count of what arrives on the client's uplink: UDP to the WireGuard ports, and anything else that is IP. */
  async countUplinkArrivals(): Promise<void> {
    await this.server.exec('nft', ['-f', '-'], {
      input: [
        'table inet lab_count {',
        '  counter endpoint {}',
        '  counter other {}',
        '  chain in {',
        '    type filter hook prerouting priority -300;',
        '    iifname "veth1" udp dport { 51820, 51821 } counter name endpoint accept',
        '    iifname "veth1" meta l4proto ipv6-icmp accept',
        '    iifname "veth1" counter name other',
        '  }',
        '}',
        '',
      ].join('\n'),
    });
  }

  async uplinkCounters(): Promise<{ endpoint: number; other: number }> {
    const read = async (name: string) => {
      const out = await this.server.exec('nft', ['list', 'counter', 'inet', 'lab_count', name]);
      return Number(/packets (\d+)/.exec(out)?.[1] ?? NaN);
    };
    return { endpoint: await read('endpoint'), other: await read('other') };
  }

  async serverTransfer(tunnel: ServerTunnel): Promise<{ rx: number; tx: number }> {
    const line = (await this.server.exec('wg', ['show', tunnel.ifname, 'transfer'])).trim().split('\n')[0] ?? '';
    const [, rx, tx] = line.split('\t');
    return { rx: Number(rx), tx: Number(tx) };
  }
}

interface StatusJson {
  tunnels: {
    summary: { name: string; state: string; killSwitch: boolean };
    stats?: { peers: { rxBytes: number; txBytes: number; latestHandshake?: number }[] };
  }[];
}

function peerOf(status: StatusJson, name: string) {
  const peer = status.tunnels.find((t) => t.summary.name === name)?.stats?.peers[0];
  if (!peer) throw new Error(`no stats for ${name} in ${JSON.stringify(status)}`);
  return peer;
}

async function withHelperLab(t: TestContext, body: (h: HelperLab) => Promise<void>): Promise<void> {
  await withLab(t, async (lab) => {
    const h = await HelperLab.create(lab);
    try {
      await body(h);
    } finally {
      h.removeNetnsEtc();
    }
  });
}

function timed(t: TestContext, output: string): void {
  for (const line of output.trim().split('\n')) t.diagnostic(line);
}

test('split tunnel: only AllowedIPs go through it; DNS is set while up and restored after down', (t) =>
  withHelperLab(t, async (h) => {
    const tunnel = await h.serverTunnel(51820, '10.200.0');
    await h.startHelper();
    const before = await h.snapshot();
    const config = h.clientConfig(tunnel, '10.200.0.0/24', ['DNS = 10.200.0.1, tunnel.test']);
    timed(t, await h.cli(['up', config.path]));

    assert.equal((await ping(h.client, '10.200.0.1', { count: 3, deadlineSeconds: 10 })).received, 3);
    const resolv = await h.client.exec('cat', ['/etc/resolv.conf']);
    assert.match(resolv, /nameserver 10\.200\.0\.1/);
    assert.doesNotMatch(resolv, /nameserver 10\.99\.1\.2/);
    assert.match(resolv, /search .*tunnel\.test/);

    const inTunnel = peerOf(await h.status(), config.name).txBytes;
    const serverBefore = await h.serverTransfer(tunnel);
    assert.equal((await ping(h.client, INTERNET_HOST, { count: 3, deadlineSeconds: 10 })).received, 3);
    assert.match(await h.client.exec('ip', ['route', 'get', INTERNET_HOST]), /dev veth1/);
    assert.equal(
      peerOf(await h.status(), config.name).txBytes,
      inTunnel,
      'internet traffic stays out of a split tunnel',
    );
    assert.deepEqual(await h.serverTransfer(tunnel), serverBefore);

    timed(t, await h.cli(['down', config.name]));
    assert.deepEqual(await h.snapshot(), before);
    assert.equal(await h.client.exec('cat', ['/etc/resolv.conf']), ORIGINAL_RESOLV_CONF);
  }));

test('full tunnel with the kill switch: internet traffic goes through it, nothing leaks when the server stops, and a killed helper is cleaned up after', (t) =>
  withHelperLab(t, async (h) => {
    const tunnel = await h.serverTunnel(51820, '10.200.0');
    await h.startHelper();
    const before = await h.snapshot();
    const config = h.clientConfig(tunnel, '0.0.0.0/0', ['DNS = 10.200.0.1']);
    timed(t, await h.cli(['up', config.path]));
    const status = await h.status();
    assert.equal(status.tunnels[0]?.summary.killSwitch, true, 'the kill switch is on by default for a full tunnel');

    const clientTx = peerOf(status, config.name).txBytes;
    const serverRx = (await h.serverTransfer(tunnel)).rx;
    assert.equal((await ping(h.client, INTERNET_HOST, { count: 5, deadlineSeconds: 15 })).received, 5);
    assert.ok(
      peerOf(await h.status(), config.name).txBytes >= clientTx + 5 * 84,
      'the client sent the pings into the tunnel',
    );
    assert.ok((await h.serverTransfer(tunnel)).rx >= serverRx + 5 * 84, 'the server received them from the tunnel');
    assert.notEqual((await h.snapshot()).nftables, before.nftables, 'a kill switch table is in place');

    // The server goes away: the pings may knock on the endpoint, nothing else may leave.
    await tunnel.daemon.stop();
    await h.countUplinkArrivals();
    assert.equal((await ping(h.client, INTERNET_HOST, { count: 3, deadlineSeconds: 4 })).received, 0);
    // A program that binds to the uplink, and DNS to a server other than the tunnel's, are blocked too.
    await assert.rejects(h.client.exec('ping', ['-n', '-q', '-c', '2', '-w', '3', '-I', 'veth1', INTERNET_HOST]));
    await h.client.exec('sh', ['-c', 'echo x | ncat -u -w1 10.99.1.2 53 || true']);
    const counters = await h.uplinkCounters();
    t.diagnostic(
      `kill switch on, server stopped: ${counters.endpoint} packets to the endpoint, ${counters.other} others`,
    );
    assert.ok(counters.endpoint > 0, 'handshake attempts still go to the endpoint');
    assert.equal(counters.other, 0, 'nothing but UDP to the endpoint leaves the uplink');

    const beforeCrash = await h.snapshot();
    process.kill(h.helper.pid, 'SIGKILL');
    await h.helper.exited;
    const afterCrash = await h.snapshot();
    assert.notEqual(afterCrash.rules4, before.rules4, 'the crashed helper left its policy rules behind');
    assert.equal(afterCrash.rules4, beforeCrash.rules4);
    assert.equal(afterCrash.nftables, beforeCrash.nftables, 'and its kill switch');
    const controlSocket = `/var/run/wireguard/${config.name}.sock`;
    assert.ok(existsSync(controlSocket), "and its tunnel's wg(8) control socket");
    const restarted = await h.startHelper();
    assert.deepEqual(await h.snapshot(), before, 'routes, rules, DNS and firewall are exactly as before the tunnel');
    assert.match(restarted.log(), /undid what a previous helper left/);
    assert.equal(
      existsSync(controlSocket),
      false,
      'the stale control socket is gone, so wg(8) lists no dead interface',
    );
    assert.match(restarted.log(), /removed the control sockets a previous helper left: /);
    t.diagnostic(
      restarted
        .log()
        .split('\n')
        .find((line) => line.includes('undid')) ?? '',
    );
  }));

for (const [kind, allowedIps, alwaysOn] of [
  ['full tunnel', '0.0.0.0/0', false],
  ['split tunnel', '10.200.0.0/24', false],
  ['full tunnel under Always on', '0.0.0.0/0', true],
] as const) {
  test(`${kind} with the kill switch: a server that moves to another address and port is heard there, and the kill switch follows it`, (t) =>
    withHelperLab(t, async (h) => {
      const tunnel = await h.serverTunnel(51820, '10.200.0');
      await h.startHelper();
      const before = await h.snapshot();
      if (alwaysOn) await h.cli(['killswitch', 'always-on']);
      const config = h.clientConfig(tunnel, allowedIps);
      timed(t, await h.cli(['up', '--kill-switch', config.path]));
      assert.equal((await ping(h.client, '10.200.0.1', { count: 2, deadlineSeconds: 10 })).received, 2);
      const rules = () => h.client.exec('nft', ['list', 'table', 'inet', killSwitchTable(config.name)]);
      assert.match(await rules(), /ip daddr 10\.99\.1\.2 udp dport 51820 accept/);

      // A new port clears the sources wireguard-go keeps, so it sends from the new address. It speaks
      // first, as a peer that roams does: the client has no way to know where it went.
      await moveAddress(h.uplink.b, '10.99.1.3');
      await h.server.exec('wg', ['set', tunnel.ifname, 'listen-port', '51822']);
      assert.equal(
        (await ping(h.server, '10.200.0.2', { count: 3, deadlineSeconds: 10 })).received,
        3,
        'the client hears the server at its new address and answers it there',
      );
      const endpoint = async () =>
        (await h.client.exec('wg', ['show', config.name, 'endpoints'])).trim().split('\t')[1];
      assert.equal(await endpoint(), '10.99.1.3:51822');
      await waitFor('the kill switch to name the new endpoint', async () =>
        /ip daddr 10\.99\.1\.3 udp dport 51822 accept/.test(await rules()),
      );
      assert.doesNotMatch(await rules(), /10\.99\.1\.2/, 'the old endpoint is no longer let through');
      assert.match(h.helper.log(), /a peer roamed to another address: following it/);
      assert.equal((await ping(h.client, '10.200.0.1', { count: 2, deadlineSeconds: 10 })).received, 2);

      timed(t, await h.cli(['down', config.name]));
      if (alwaysOn) await h.cli(['killswitch', 'off']);
      assert.deepEqual(await h.snapshot(), before);
    }));
}

test('full tunnel without the kill switch: traffic bound to the uplink leaks when asked to', (t) =>
  withHelperLab(t, async (h) => {
    const tunnel = await h.serverTunnel(51820, '10.200.0');
    await h.startHelper();
    const config = h.clientConfig(tunnel, '0.0.0.0/0');
    await h.cli(['up', '--no-kill-switch', config.path]);
    assert.equal((await h.status()).tunnels[0]?.summary.killSwitch, false);
    await tunnel.daemon.stop();
    await h.countUplinkArrivals();
    const leaked = await h.client.exec('ping', ['-n', '-q', '-c', '2', '-w', '5', '-I', 'veth1', INTERNET_HOST]);
    assert.match(leaked, /2 received/);
    assert.ok((await h.uplinkCounters()).other >= 2, 'the pings left through the uplink, outside the tunnel');
    await h.cli(['down', config.name]);
  }));

test('two tunnels at once, each with its own traffic; SIGTERM to the helper brings what is still up down', (t) =>
  withHelperLab(t, async (h) => {
    const first = await h.serverTunnel(51820, '10.200.0');
    const second = await h.serverTunnel(51821, '10.201.0');
    await h.startHelper();
    const before = await h.snapshot();
    const a = h.clientConfig(first, '10.200.0.0/24');
    const b = h.clientConfig(second, '10.201.0.0/24');
    timed(t, await h.cli(['up', a.path]));
    timed(t, await h.cli(['up', b.path]));
    assert.equal((await ping(h.client, '10.200.0.1', { count: 2, deadlineSeconds: 10 })).received, 2);
    assert.equal((await ping(h.client, '10.201.0.1', { count: 2, deadlineSeconds: 10 })).received, 2);
    const status = await h.status();
    assert.deepEqual(
      status.tunnels.map((tunnel) => tunnel.summary.state),
      ['active', 'active'],
    );
    assert.ok(
      peerOf(status, a.name).latestHandshake !== undefined && peerOf(status, b.name).latestHandshake !== undefined,
    );
    const text = await h.cli(['status']);
    assert.match(text, new RegExp(`tunnel: ${a.name} \\(active\\)`));
    assert.match(text, new RegExp(`tunnel: ${b.name} \\(active\\)`));
    // A third that routes a's network is refused, changing nothing, until asked to switch.
    const c = h.clientConfig(first, '10.200.0.0/16');
    const refused = await h.cli(['up', c.path]).catch((e: unknown) => e);
    assert.ok(refused instanceof CommandError, 'a conflicting up fails');
    assert.match(
      refused.stderr,
      new RegExp(`conflicts with the active tunnel ${a.name} \\(both route 10\\.200\\.0\\.0/24`),
    );
    assert.match(refused.stderr, /wirefly up --switch/);
    assert.deepEqual((await h.status()).tunnels.map((tunnel) => tunnel.summary.name).sort(), [a.name, b.name].sort());
    assert.match(await h.cli(['up', '--switch', c.path]), new RegExp(`^${a.name}: down, to switch to ${c.name}\n`));
    assert.equal((await ping(h.client, '10.200.0.1', { count: 2, deadlineSeconds: 10 })).received, 2);
    assert.deepEqual((await h.status()).tunnels.map((tunnel) => tunnel.summary.name).sort(), [b.name, c.name].sort());
    await h.cli(['down', c.name]);
    // Shutting the helper down brings the other one down.
    const exit = await h.helper.stop();
    assert.equal(exit.code, 0, h.helper.log());
    assert.deepEqual(await h.snapshot(), before);
  }));

test('a config with a bad line is refused with that line error and changes nothing', (t) =>
  withHelperLab(t, async (h) => {
    const tunnel = await h.serverTunnel(51820, '10.200.0');
    await h.startHelper();
    const before = await h.snapshot();
    const config = h.clientConfig(tunnel, '0.0.0.0/0, 10.0.0.300/32');
    const line =
      readFileSync(config.path, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('10.0.0.300')) + 1;
    const error = await h.cli(['up', config.path]).catch((e: unknown) => e);
    assert.ok(error instanceof CommandError, 'wirefly up fails');
    assert.match(error.stderr, new RegExp(`${config.path}:${line}:\\d+: error: .*10\\.0\\.0\\.300.*\\[bad-network\\]`));
    assert.deepEqual(await h.snapshot(), before);
    assert.deepEqual((await h.status()).tunnels, []);
    // Scripts are refused too, while the settings do not allow them.
    const scripted = h.clientConfig(tunnel, '10.200.0.0/24', ['PostUp = touch /tmp/wirefly-should-not-exist']);
    const refused = await h.cli(['up', scripted.path]).catch((e: unknown) => e);
    assert.match((refused as CommandError).stderr, /PostUp \(line 4\).*allowScripts/);
    assert.deepEqual(await h.snapshot(), before);
  }));

/** Opens a raw connection, sends `data`, and resolves with what came back until the helper closes or `ms` pass. */
function rawSend(path: string, data: string | Buffer, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    let received = '';
    const finish = () => {
      socket.destroy();
      resolve(received);
    };
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', () => socket.write(data));
    setTimeout(finish, ms);
  });
}

test('protocol abuse: another user, garbage, a 100 MB line and 1,000 rapid connects; the permitted client is still served', (t) =>
  withHelperLab(t, async (h) => {
    await h.startHelper();
    const refused = await h.client
      .exec('setpriv', [
        '--reuid=nobody',
        '--regid=nogroup',
        '--clear-groups',
        process.execPath,
        CLI,
        'status',
        '--socket',
        h.socket,
      ])
      .catch((e: unknown) => e);
    assert.ok(refused instanceof CommandError, 'nobody cannot use the helper');
    assert.match(refused.stderr, /not permitted/);

    const garbage = await rawSend(h.socket, '\u0000\u00ff not json at all\n{"type":"request"}\n', 1000);
    assert.match(garbage, /"bad-message"/);

    const hello = JSON.stringify({ type: 'hello', protocolVersion: PROTOCOL_VERSION, client: 'abuse' });
    const started = Date.now();
    const hugeReply = await new Promise<string>((resolve, reject) => {
      const socket = createConnection(h.socket);
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk.toString();
        if (received.includes('"tunnels"')) {
          socket.destroy();
          resolve(received);
        }
      });
      socket.on('error', reject);
      socket.on('connect', async () => {
        socket.write(`${hello}\n`);
        const chunk = Buffer.alloc(1024 * 1024, 0x61);
        for (let i = 0; i < 100; i++) {
          if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
        }
        socket.write('\n{"type":"request","id":1,"method":"tunnel.list","params":{}}\n');
      });
    });
    assert.match(hugeReply, /"message-too-large"/);
    t.diagnostic(
      `a 100 MB line was skipped in ${Date.now() - started} ms and the connection answered the next request`,
    );

    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 100 }, () => rawSend(h.socket, '', 0)));
    }
    const status = await h.status();
    assert.deepEqual(status.tunnels, []);
    assert.ok(!h.helper.hasExited, h.helper.log());
  }));
