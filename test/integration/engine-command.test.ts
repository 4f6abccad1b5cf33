// helper/bin/wirefly-engine behaves like `wireguard-go IFNAME`: it daemonizes
// once ready, shuts down cleanly, follows its interface across namespaces, and
// wg(8) and wg-quick(8) drive it unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withLab, type Lab } from './harness/lab.js';
import type { Namespace } from './harness/namespace.js';
import { exec } from './harness/exec.js';
import { createTunnelPair } from './harness/pair.js';
import { ping } from './harness/ping.js';
import { startServerPeer } from './harness/tunnel-server.js';
import { generateKeyPair, upTunnelInterface, wgSet } from './harness/wg.js';
import { uapiSocketPath, wirefly, wireflyEnginePath, wireguardGo } from './harness/wireguard.js';

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function linkExists(ns: { exec: (cmd: string, args: readonly string[]) => Promise<string> }, ifname: string) {
  try {
    await ns.exec('ip', ['link', 'show', 'dev', ifname]);
    return true;
  } catch {
    return false;
  }
}

test('without -f it returns once the interface and control socket exist, and SIGTERM undoes both', (t) =>
  withLab(t, async (lab) => {
    const ns = await lab.namespace();
    const ifname = lab.tunnelInterfaceName();
    await ns.exec(wireflyEnginePath(), [ifname], { env: { ...process.env, LOG_LEVEL: 'silent' } });
    assert.ok(existsSync(uapiSocketPath(ifname)), 'control socket exists when the command returns');
    assert.ok(await linkExists(ns, ifname), 'TUN interface exists when the command returns');
    // The launcher may still be on its way out; then exactly the daemon remains.
    const namespacePids = async () =>
      (await exec(undefined, 'ip', ['netns', 'pids', ns.name])).trim().split('\n').filter(Boolean);
    await waitFor('only the daemon to remain in the namespace', async () => (await namespacePids()).length === 1);
    const [daemonPid] = await namespacePids();
    const shown = await ns.exec('wg', ['show', ifname]);
    assert.match(shown, new RegExp(`interface: ${ifname}`));

    process.kill(Number(daemonPid), 'SIGTERM');
    await waitFor('the socket to go', () => !existsSync(uapiSocketPath(ifname)));
    await waitFor('the interface to go', async () => !(await linkExists(ns, ifname)));
  }));

test('deleting its interface makes the engine exit and remove its socket', (t) =>
  withLab(t, async (lab) => {
    const ns = await lab.namespace();
    const ifname = lab.tunnelInterfaceName();
    const daemon = await wirefly.start(ns, ifname);
    await ns.exec('ip', ['link', 'del', 'dev', ifname]);
    const exit = await daemon.process.exited;
    assert.equal(exit.code, 0, daemon.process.log());
    assert.ok(!existsSync(uapiSocketPath(ifname)));
  }));

/**
 * A wireguard-go peer in `server` at tunnel address 10.<subnet>.0.2, listening on
 * `port`, that knows our key (generated here) at 10.<subnet>.0.1, optionally at `ourEndpoint`.
 */
async function startServer(lab: Lab, server: Namespace, subnet: number, port: number, ourEndpoint?: string) {
  const keys = await startServerPeer(lab, server, {
    port,
    serverAddress: `10.${subnet}.0.2`,
    clientAddress: `10.${subnet}.0.1`,
    ...(ourEndpoint === undefined ? {} : { clientEndpoint: ourEndpoint }),
  });
  return { ours: keys.client, theirs: keys.server };
}

test('usage errors exit 1 with the usage line', async () => {
  await assert.rejects(exec(undefined, wireflyEnginePath(), []), /Usage: wirefly-engine/);
  await assert.rejects(exec(undefined, wireflyEnginePath(), ['--bogus', 'x']), /Usage: wirefly-engine/);
});

test('the interface keeps working after it is moved into another namespace', (t) =>
  withLab(t, async (lab) => {
    // The engine and its UDP socket stay in `outer`; the TUN moves to `inner`.
    const outer = await lab.namespace();
    const inner = await lab.namespace();
    const server = await lab.namespace();
    const link = await lab.link(outer, server);
    const ifname = lab.tunnelInterfaceName();
    await wirefly.start(outer, ifname);
    const { ours, theirs } = await startServer(lab, server, 78, 51112, `${link.a.v4}:51111`);
    await wgSet(outer, ifname, {
      privateKeyFile: ours.privateKeyFile,
      listenPort: 51111,
      peers: [{ publicKey: theirs.publicKey, allowedIps: ['10.78.0.2/32'], endpoint: `${link.b.v4}:51112` }],
    });
    await outer.exec('ip', ['link', 'set', ifname, 'netns', inner.name]);
    await upTunnelInterface(inner, ifname, ['10.78.0.1/24'], 1420);
    const result = await ping(inner, '10.78.0.2', { count: 3, deadlineSeconds: 10 });
    assert.ok(result.received >= 2, `ping from the new namespace: ${JSON.stringify(result)}`);
    // The control socket still answers, from any namespace.
    assert.match(await outer.exec('wg', ['show', ifname, 'latest-handshakes']), /\t[1-9][0-9]*\n/);
  }));

test('wg setconf, showconf and syncconf round-trip through the engine', (t) =>
  withLab(t, async (lab) => {
    const ns = await lab.namespace();
    const ifname = lab.tunnelInterfaceName();
    await wirefly.start(ns, ifname);
    const own = await generateKeyPair(lab.dir);
    const p1 = await generateKeyPair(lab.dir);
    const p2 = await generateKeyPair(lab.dir);
    const psk = (await exec(undefined, 'wg', ['genpsk'])).trim();
    const config = [
      '[Interface]',
      `PrivateKey = ${own.privateKey}`,
      'ListenPort = 51820',
      'FwMark = 0x1234',
      '',
      '[Peer]',
      `PublicKey = ${p1.publicKey}`,
      `PresharedKey = ${psk}`,
      'AllowedIPs = 10.1.0.0/16, fd01::/64',
      'Endpoint = 192.0.2.7:51820',
      'PersistentKeepalive = 25',
      '',
      '[Peer]',
      `PublicKey = ${p2.publicKey}`,
      'AllowedIPs = 10.2.0.0/24',
      'Endpoint = [2001:db8::9]:4000',
      '',
    ].join('\n');
    const file = join(lab.dir, 'set.conf');
    writeFileSync(file, config);
    await ns.exec('wg', ['setconf', ifname, file]);
    const shown = await ns.exec('wg', ['showconf', ifname]);
    for (const line of [
      `PrivateKey = ${own.privateKey}`,
      'ListenPort = 51820',
      'FwMark = 0x1234',
      `PresharedKey = ${psk}`,
      'AllowedIPs = 10.1.0.0/16, fd01::/64',
      'Endpoint = 192.0.2.7:51820',
      'PersistentKeepalive = 25',
      'AllowedIPs = 10.2.0.0/24',
      'Endpoint = [2001:db8::9]:4000',
    ]) {
      assert.ok(shown.includes(line), `showconf lacks "${line}":\n${shown}`);
    }
    // syncconf with only the second peer removes the first and leaves the second.
    const synced = config
      .split('\n\n')
      .filter((block) => !block.includes(p1.publicKey))
      .join('\n\n');
    writeFileSync(file, synced);
    await ns.exec('wg', ['syncconf', ifname, file]);
    const peers = (await ns.exec('wg', ['show', ifname, 'peers'])).trim().split('\n');
    assert.deepEqual(peers, [p2.publicKey]);
    // A bad request is refused and the engine keeps serving.
    const holder = ns.spawn('ncat', ['-u', '-l', '-p', '51999']);
    await waitFor('ncat to bind', async () => (await ns.exec('ss', ['-uln'])).includes(':51999'));
    await assert.rejects(ns.exec('wg', ['set', ifname, 'listen-port', '51999']), /Address already in use/);
    await holder.stop();
    assert.match(await ns.exec('wg', ['show', ifname, 'listen-port']), /^51820\n$/);
  }));

test('wg-quick up and down work with WG_QUICK_USERSPACE_IMPLEMENTATION pointing at the engine', (t) =>
  withLab(t, async (lab) => {
    const client = await lab.namespace();
    const server = await lab.namespace();
    const link = await lab.link(client, server);
    const ifname = lab.tunnelInterfaceName();
    const { ours, theirs } = await startServer(lab, server, 79, 51200);
    const file = join(lab.dir, `${ifname}.conf`);
    writeFileSync(
      file,
      [
        '[Interface]',
        `PrivateKey = ${ours.privateKey}`,
        'Address = 10.79.0.1/24',
        '',
        '[Peer]',
        `PublicKey = ${theirs.publicKey}`,
        'AllowedIPs = 10.79.0.0/24',
        `Endpoint = ${link.b.v4}:51200`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const env = { ...process.env, WG_QUICK_USERSPACE_IMPLEMENTATION: wireflyEnginePath(), LOG_LEVEL: 'silent' };
    await client.exec('wg-quick', ['up', file], { env });
    try {
      assert.ok(existsSync(uapiSocketPath(ifname)));
      const result = await ping(client, '10.79.0.2', { count: 2, deadlineSeconds: 10 });
      assert.ok(result.received >= 1, JSON.stringify(result));
      // wg-quick's automatic MTU for a 1500-byte uplink.
      assert.match(await client.exec('ip', ['link', 'show', ifname]), /mtu 1420/);
    } finally {
      await client.exec('wg-quick', ['down', file], { env });
    }
    await waitFor('the engine to exit after wg-quick down', () => !existsSync(uapiSocketPath(ifname)));
    assert.equal(await linkExists(client, ifname), false);
  }));

test('LOG_LEVEL=verbose logs the handshake and never a private key', (t) =>
  withLab(t, async (lab) => {
    const pair = await createTunnelPair(lab, wirefly, wireguardGo);
    const result = await ping(pair.a.ns, pair.b.tunnelV4, { count: 2, deadlineSeconds: 10 });
    assert.ok(result.received >= 1);
    const log = pair.a.daemon.process.log();
    assert.match(log, /handshake/);
    const privateHex = Buffer.from(pair.a.keys.privateKey, 'base64').toString('hex');
    assert.ok(!log.includes(pair.a.keys.privateKey) && !log.includes(privateHex), 'private key in the log');
    assert.ok(readFileSync(pair.a.keys.privateKeyFile, 'utf8').includes(pair.a.keys.privateKey));
  }));
