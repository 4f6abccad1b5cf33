// The connection doctor against wireguard-go: each cause staged for real in
// the client-server lab, and `wirefly doctor` must name it and no other.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnosis } from '../../helper/src/rpc/index.js';
import { CommandError } from './harness/exec.js';
import {
  SERVER_LAN,
  SERVER_PORT,
  interfaceNameOf,
  withClientServer,
  type ClientConfigOptions,
  type ClientServer,
} from './harness/client-server.js';

const ENDPOINT = `${SERVER_LAN}:${SERVER_PORT}`;

async function verdict(t: TestContext, s: ClientServer, config: ClientConfigOptions): Promise<Diagnosis> {
  const helper = s.helper ?? (await s.startHelper());
  const path = s.writeConfig(config);
  await helper.cli(['up', path]).catch((error: unknown) => {
    // A tunnel that cannot come up (its name does not resolve) is for the doctor too.
    if (!(error instanceof CommandError)) throw error;
    t.diagnostic(`up failed: ${error.stderr.trim()}`);
  });
  const started = Date.now();
  let output: string;
  try {
    output = await helper.cli(['doctor', '--json', interfaceNameOf(path)]);
  } catch (error) {
    // Exit status 2: the doctor found a problem, and printed it.
    if (!(error instanceof CommandError) || error.exitCode !== 2) throw error;
    output = error.stdout;
  }
  const diagnosis = JSON.parse(output) as Diagnosis;
  t.diagnostic(`doctor (${Date.now() - started} ms): ${diagnosis.cause}: ${diagnosis.summary}`);
  for (const line of diagnosis.evidence) t.diagnostic(`  - ${line}`);
  return diagnosis;
}

test('a working tunnel: ok', (t) =>
  withClientServer(t, async (s) => {
    await s.startServer();
    assert.equal((await verdict(t, s, { endpoint: ENDPOINT })).cause, 'ok');
  }));

test("the endpoint's name does not resolve", (t) =>
  withClientServer(t, async (s) => {
    await s.startServer();
    s.server.spawn('dnsmasq', [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--local=/lab.test/',
      `--listen-address=${SERVER_LAN}`,
      '--bind-interfaces',
      '--user=root',
      '--pid-file=',
    ]);
    s.useResolver(SERVER_LAN);
    await s.startHelper();
    const d = await verdict(t, s, { endpoint: `nowhere.lab.test:${SERVER_PORT}` });
    assert.equal(d.cause, 'endpoint-unresolved');
    assert.match(d.summary, /nowhere\.lab\.test/);
  }));

test('no route to the endpoint', (t) =>
  withClientServer(t, async (s) => {
    await s.startServer();
    await s.client.exec('ip', ['route', 'del', 'default']);
    assert.equal((await verdict(t, s, { endpoint: `203.0.113.9:${SERVER_PORT}` })).cause, 'no-route');
  }));

test('the server is down: the port is refused', (t) =>
  withClientServer(t, async (s) => {
    assert.equal((await verdict(t, s, { endpoint: ENDPOINT })).cause, 'endpoint-refused');
  }));

test('the port is wrong: refused as well', (t) =>
  withClientServer(t, async (s) => {
    await s.startServer();
    assert.equal((await verdict(t, s, { endpoint: `${SERVER_LAN}:${SERVER_PORT + 1}` })).cause, 'endpoint-refused');
  }));

test('a firewall drops the UDP: no reply', (t) =>
  withClientServer(t, async (s) => {
    await s.startServer();
    await s.server.exec('nft', ['-f', '-'], {
      input: `table inet lab_fw {\n  chain in {\n    type filter hook input priority 0;\n    udp dport ${SERVER_PORT} drop\n  }\n}\n`,
    });
    const d = await verdict(t, s, { endpoint: ENDPOINT });
    assert.equal(d.cause, 'no-reply');
    assert.ok(d.advice.includes(s.clientKeys.publicKey), 'our public key is shown');
  }));

test('the server does not know our public key: no reply, our key shown', (t) =>
  withClientServer(t, async (s) => {
    await s.startServer({ knowsClient: false });
    const d = await verdict(t, s, { endpoint: ENDPOINT });
    assert.equal(d.cause, 'no-reply');
    assert.equal(d.publicKey, s.clientKeys.publicKey);
  }));

test("handshakes complete but no data returns: the server's AllowedIPs for us are wrong", (t) =>
  withClientServer(t, async (s) => {
    await s.startServer({ clientAllowedIps: ['10.77.0.99/32'] });
    assert.equal((await verdict(t, s, { endpoint: ENDPOINT })).cause, 'no-data-returned');
  }));

test('large packets are lost, small ones pass: an MTU black hole, and the MTU that works', (t) =>
  withClientServer(t, async (s) => {
    await s.startServer();
    // Outer datagrams over 1200 bytes vanish, with no "fragmentation needed" back.
    await s.server.exec('nft', ['-f', '-'], {
      input: `table inet lab_mtu {\n  chain in {\n    type filter hook prerouting priority -300;\n    udp dport ${SERVER_PORT} ip length > 1200 drop\n  }\n}\n`,
    });
    const d = await verdict(t, s, { endpoint: ENDPOINT });
    assert.equal(d.cause, 'mtu-black-hole');
    // 1200 - 20 (IPv4) - 8 (UDP) - 32 (WireGuard) = 1140, padded to 16 bytes: up to 1136 get through.
    assert.ok(d.suggestedMtu! <= 1140 && d.suggestedMtu! >= 1128, `suggested MTU ${d.suggestedMtu}`);
  }));

test('DNS through the tunnel does not answer', (t) =>
  withClientServer(t, async (s) => {
    await s.startServer();
    s.useResolver(SERVER_LAN);
    const d = await verdict(t, s, { endpoint: ENDPOINT, interfaceLines: ['DNS = 10.77.0.1'] });
    assert.equal(d.cause, 'dns-no-answer');
  }));

test('no handshake within 10 s: the helper runs the doctor by itself, and the verdict comes with the tunnel', (t) =>
  withClientServer(t, async (s) => {
    const helper = await s.startHelper();
    const path = s.writeConfig({ endpoint: ENDPOINT });
    const upAt = Date.now();
    await helper.cli(['up', path]);
    const name = interfaceNameOf(path);
    let diagnosis: Diagnosis | undefined;
    while (!diagnosis) {
      assert.ok(Date.now() - upAt < 30_000, 'no diagnosis within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 500));
      const status = JSON.parse(await helper.cli(['status', '--json'])) as {
        tunnels: { summary: { name: string; diagnosis?: Diagnosis } }[];
      };
      diagnosis = status.tunnels.find((tunnel) => tunnel.summary.name === name)?.summary.diagnosis;
    }
    t.diagnostic(`by itself, ${Date.now() - upAt} ms after up: ${diagnosis.cause}: ${diagnosis.summary}`);
    assert.equal(diagnosis.cause, 'endpoint-refused');
    assert.ok(Date.now() - upAt >= 10_000, 'not before 10 s without a handshake');
    assert.match(helper.process.log(), /WARN helper \(\S+\): doctor: Nothing answers on UDP port/);
  }));
