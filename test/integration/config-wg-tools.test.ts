// Cross-checks the config module against the real tools from Debian:
// - strip output equals `wg-quick strip` for every valid fixture;
// - public keys equal `wg pubkey`'s, for the module and the wirefly command;
// - every valid fixture, stripped, is taken by `wg setconf` on a userspace
//   interface (wireguard-go in a network namespace this test creates), and
//   `wg showconf` then shows what the model says;
// - each invalid fixture's stated verdict of wg-quick strip + wg setconf holds.
// Needs root, ip netns, wireguard-go and wireguard-tools; fails without them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatCidr, formatEndpoint, maskCidr } from '../../helper/src/net/ip.js';
import {
  generatePrivateKey,
  keyToBase64,
  parseConfig,
  publicKeyFromPrivate,
  stripConfig,
} from '../../helper/src/config/index.js';
import type { WgQuickConfig } from '../../helper/src/config/index.js';
import { loadFixtures, projectRoot } from '../fixtures/configs/corpus.js';

const valid = loadFixtures('valid');
const invalid = loadFixtures('invalid');
const WIREFLY = join(projectRoot(), 'helper', 'bin', 'wirefly');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], input?: string): Run {
  const result = spawnSync(command, args, {
    input,
    encoding: 'utf8',
    timeout: 30000,
    env: { ...process.env, WG_ENDPOINT_RESOLUTION_RETRIES: '0' },
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const scratch = mkdtempSync(join(tmpdir(), 'wirefly-config-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** wg-quick insists on an interface-like file name, and warns about readable files. */
function asWgQuickFile(text: string): string {
  const path = join(scratch, 'wgfix.conf');
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

const BYTE_ORDER_MARK = '\uFEFF';

for (const fixture of valid) {
  test(`strip of valid/${fixture.name} equals wg-quick strip, from the module and from wirefly`, () => {
    // Deliberate difference: we drop a byte order mark; wg-quick would keep it and wg setconf then fails.
    const forWgQuick = fixture.text.startsWith(BYTE_ORDER_MARK) ? fixture.text.slice(1) : fixture.text;
    const reference = run('wg-quick', ['strip', asWgQuickFile(forWgQuick)]);
    assert.equal(reference.status, 0, reference.stderr);
    const ours = stripConfig(fixture.text);
    assert.ok(ours.ok);
    assert.equal(ours.text, reference.stdout);
    const cli = run(WIREFLY, ['config', 'strip', asWgQuickFile(fixture.text)]);
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(cli.stdout, reference.stdout);
  });
}

test('public keys equal wg pubkey for random keys, clamped or not, from the module and from wirefly', () => {
  for (let i = 0; i < 20; i++) {
    const privateKey = i % 2 === 0 ? generatePrivateKey() : globalThis.crypto.getRandomValues(new Uint8Array(32));
    const text = `${keyToBase64(privateKey)}\n`;
    const reference = run('wg', ['pubkey'], text);
    assert.equal(reference.status, 0, reference.stderr);
    assert.equal(`${keyToBase64(publicKeyFromPrivate(privateKey))}\n`, reference.stdout);
    assert.equal(run(WIREFLY, ['pubkey'], text).stdout, reference.stdout);
  }
});

test('keys from wirefly genkey and genpsk are accepted by wg; wg genkey keys by wirefly pubkey', () => {
  const ourKey = run(WIREFLY, ['genkey']);
  assert.equal(ourKey.status, 0, ourKey.stderr);
  assert.equal(run('wg', ['pubkey'], ourKey.stdout).status, 0);
  const psk = run(WIREFLY, ['genpsk']).stdout;
  assert.match(psk, /^[A-Za-z0-9+/]{43}=\n$/);
  const theirKey = run('wg', ['genkey']).stdout;
  assert.equal(run(WIREFLY, ['pubkey'], theirKey).stdout, run('wg', ['pubkey'], theirKey).stdout);
  assert.equal(run(WIREFLY, ['pubkey'], 'short\n').status, run('wg', ['pubkey'], 'short\n').status);
});

// ---- wg setconf on a userspace interface in a namespace of our own ----

const namespace = `wfcfg${process.pid}`;
const device = `wfc${process.pid % 1000000}`;
const socketPath = `/var/run/wireguard/${device}.sock`;
const netnsEtc = `/etc/netns/${namespace}`;
let wireguardGo: ChildProcess | undefined;

/** Host names the fixtures use, resolved inside the namespace through its own /etc/hosts. */
function hostnameAddresses(): Map<string, string> {
  const hosts = new Map<string, string>();
  for (const fixture of valid) {
    const parsed = parseConfig(fixture.text);
    assert.ok(parsed.ok);
    for (const peer of parsed.config.peers) {
      if (peer.endpoint?.kind === 'hostname' && !hosts.has(peer.endpoint.host)) {
        hosts.set(peer.endpoint.host, `192.0.2.${200 + hosts.size}`);
      }
    }
  }
  return hosts;
}

const hosts = hostnameAddresses();

before(async () => {
  assert.equal(process.getuid?.(), 0, 'this test needs root (ip netns, wireguard-go)');
  mkdirSync(netnsEtc, { recursive: true });
  writeFileSync(
    join(netnsEtc, 'hosts'),
    ['127.0.0.1 localhost', ...[...hosts].map(([name, ip]) => `${ip} ${name}`)].join('\n') + '\n',
  );
  const added = run('ip', ['netns', 'add', namespace]);
  assert.equal(added.status, 0, added.stderr);
  run('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
  wireguardGo = spawn('ip', ['netns', 'exec', namespace, 'wireguard-go', device], {
    env: { ...process.env, WG_PROCESS_FOREGROUND: '1' },
    stdio: 'ignore',
  });
  for (let waited = 0; !existsSync(socketPath); waited += 50) {
    assert.ok(waited < 10000 && wireguardGo.exitCode === null, `wireguard-go did not create ${socketPath}`);
    await sleep(50);
  }
});

after(async () => {
  if (wireguardGo && wireguardGo.exitCode === null) {
    const exited = new Promise((resolve) => wireguardGo!.once('exit', resolve));
    wireguardGo.kill('SIGTERM');
    await Promise.race([exited, sleep(3000)]);
    if (wireguardGo.exitCode === null) wireguardGo.kill('SIGKILL');
  }
  run('ip', ['netns', 'del', namespace]);
  rmSync(netnsEtc, { recursive: true, force: true });
  rmSync(socketPath, { force: true });
});

function setconf(text: string): Run {
  const path = join(scratch, 'setconf.conf');
  writeFileSync(path, text, { mode: 0o600 });
  return run('ip', ['netns', 'exec', namespace, 'wg', 'setconf', device, path]);
}

/** What wg makes of a model: repeated peers merge (later AllowedIPs replace earlier), a network moves to the last peer naming it. */
function expectedDevice(
  config: WgQuickConfig,
): Map<string, { allowed: Set<string>; endpoint?: string; keepalive: number }> {
  const peers = new Map<string, { allowed: Set<string>; endpoint?: string; keepalive: number }>();
  for (const peer of config.peers) {
    const key = keyToBase64(peer.publicKey);
    const entry = peers.get(key) ?? { allowed: new Set<string>(), keepalive: 0 };
    entry.allowed = new Set();
    for (const cidr of peer.allowedIps) {
      const network = formatCidr(maskCidr(cidr));
      for (const other of peers.values()) other.allowed.delete(network);
      entry.allowed.add(network);
    }
    if (peer.endpoint)
      entry.endpoint =
        peer.endpoint.kind === 'address'
          ? formatEndpoint(peer.endpoint.address)
          : `${hosts.get(peer.endpoint.host)}:${peer.endpoint.port}`;
    if (peer.persistentKeepalive !== undefined) entry.keepalive = peer.persistentKeepalive;
    peers.set(key, entry);
  }
  return peers;
}

for (const fixture of valid) {
  test(`wg setconf takes valid/${fixture.name} (stripped) and wg showconf shows the same peers`, () => {
    const stripped = stripConfig(fixture.text);
    assert.ok(stripped.ok);
    const result = setconf(stripped.text);
    assert.equal(result.status, 0, `wg setconf refused it: ${result.stderr}`);
    const shown = run('ip', ['netns', 'exec', namespace, 'wg', 'showconf', device]);
    assert.equal(shown.status, 0, shown.stderr);
    const ours = parseConfig(fixture.text);
    const theirs = parseConfig(shown.stdout);
    assert.ok(ours.ok && theirs.ok, shown.stdout);
    assert.deepEqual(theirs.config.interface.privateKey, ours.config.interface.privateKey);
    if (ours.config.interface.listenPort)
      assert.equal(theirs.config.interface.listenPort, ours.config.interface.listenPort);
    assert.equal(theirs.config.interface.fwMark ?? 0, ours.config.interface.fwMark ?? 0);
    const expected = expectedDevice(ours.config);
    const actual = expectedDevice(theirs.config);
    const ownKey =
      ours.config.interface.privateKey && keyToBase64(publicKeyFromPrivate(ours.config.interface.privateKey));
    // A peer with the interface's own key is accepted and ignored by wireguard-go.
    if (ownKey) expected.delete(ownKey);
    assert.deepEqual(actual, expected);
  });
}

for (const fixture of invalid) {
  test(`invalid/${fixture.name}: wg-quick strip + wg setconf ${fixture.wgSetconfAccepts ? 'accept' : 'refuse'} it, as the file states`, () => {
    const stripped = run('wg-quick', ['strip', asWgQuickFile(fixture.text)]);
    const accepted = stripped.status === 0 && setconf(stripped.stdout).status === 0;
    assert.equal(accepted, fixture.wgSetconfAccepts);
  });
}
