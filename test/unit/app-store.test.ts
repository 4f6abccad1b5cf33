import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENCRYPTED_MARKER, plainText } from '../../app/src/store/encryption.js';
import type { Encryption } from '../../app/src/store/encryption.js';
import { StoreError } from '../../app/src/store/store-error.js';
import { tunnelNameFromFileName, uniqueTunnelName } from '../../app/src/store/tunnel-name.js';
import { TunnelStore } from '../../app/src/store/tunnel-store.js';
import { Preferences, DEFAULT_SETTINGS } from '../../app/src/store/preferences.js';

const CHILD_ENV = 'WIREFLY_APP_STORE_SAVER_DIR';

/** A stand-in for safeStorage: reversible, cheap on megabytes, and visibly not the plain text. */
const scramble = (data: Uint8Array): Uint8Array => data.map((byte) => byte ^ 0x5a);
const scrambling: Encryption = {
  available: true,
  encrypt: (text) => scramble(new TextEncoder().encode(text)),
  decrypt: (data) => new TextDecoder().decode(scramble(data)),
};

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-app-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Generation `n`: some 1.5 MB (more than one write call) whose every line says `n`, so a torn write shows. */
function generation(n: number): string {
  return `# generation ${n}\n` + `# ${n} ${'x'.repeat(100)}\n`.repeat(15000);
}

function generationOf(text: string): number {
  const lines = text.split('\n');
  const n = Number(/^# generation (\d+)$/.exec(lines[0] ?? '')?.[1]);
  assert.ok(Number.isInteger(n), `first line is a generation header: ${JSON.stringify(lines[0])}`);
  assert.equal(text, generation(n), `generation ${n} is complete and unmixed`);
  return n;
}

if (process.env[CHILD_ENV]) {
  // The child: saves generation after generation until it is killed, telling the parent each one that completed.
  const store = await TunnelStore.open(process.env[CHILD_ENV], plainText);
  for (let n = 1; ; n++) {
    await store.update('wg0', generation(n));
    process.stdout.write(`saved ${n}\n`);
  }
} else {
  test('create, read, update, list, rename and delete tunnels', async (t) => {
    const store = await TunnelStore.open(join(scratch(t), 'tunnels'), plainText);
    await store.create('wg0', 'first');
    await store.create('home', 'second');
    assert.deepEqual(await store.names(), ['home', 'wg0']);
    assert.equal(await store.read('wg0'), 'first');
    await store.update('wg0', 'changed');
    assert.equal(await store.read('wg0'), 'changed');
    await store.rename('wg0', 'work');
    assert.deepEqual(await store.names(), ['home', 'work']);
    assert.equal(await store.read('work'), 'changed');
    await store.delete('home');
    assert.deepEqual(await store.names(), ['work']);
  });

  test('refuses to overwrite on create or rename, and names missing tunnels', async (t) => {
    const store = await TunnelStore.open(scratch(t), plainText);
    await store.create('a', 'A');
    await store.create('b', 'B');
    await assert.rejects(store.create('a', 'again'), (error: StoreError) => error.code === 'tunnel-exists');
    await assert.rejects(store.rename('a', 'b'), (error: StoreError) => error.code === 'tunnel-exists');
    assert.equal(await store.read('b'), 'B');
    assert.equal(await store.read('a'), 'A');
    await assert.rejects(store.read('nope'), (error: StoreError) => error.code === 'no-such-tunnel');
    await assert.rejects(store.update('nope', 'x'), (error: StoreError) => error.code === 'no-such-tunnel');
    await assert.rejects(store.delete('nope'), (error: StoreError) => error.code === 'no-such-tunnel');
    await assert.rejects(store.rename('nope', 'c'), (error: StoreError) => error.code === 'no-such-tunnel');
  });

  test('names must be wg-quick interface names', async (t) => {
    const store = await TunnelStore.open(scratch(t), plainText);
    for (const bad of ['', '../etc', 'a/b', 'sixteen-chars-xx', 'with space']) {
      await assert.rejects(store.create(bad, 'x'), (error: StoreError) => error.code === 'bad-name', bad);
    }
  });

  test('files are 0600 in a 0700 folder, sealed when encryption is available', async (t) => {
    const dir = join(scratch(t), 'tunnels');
    const store = await TunnelStore.open(dir, scrambling);
    await store.create('wg0', '[Interface]\nPrivateKey = secret\n');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const path = join(dir, 'wg0.conf');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const raw = readFileSync(path, 'utf8');
    assert.ok(raw.startsWith(ENCRYPTED_MARKER));
    assert.ok(!raw.includes('PrivateKey = secret'));
    assert.equal(await store.read('wg0'), '[Interface]\nPrivateKey = secret\n');
  });

  test('a sealed file cannot be read without the key store; a plain one can be read with it', async (t) => {
    const dir = scratch(t);
    await (await TunnelStore.open(dir, scrambling)).create('sealed', 'text');
    writeFileSync(join(dir, 'byhand.conf'), 'plain text');
    const plainStore = await TunnelStore.open(dir, plainText);
    await assert.rejects(plainStore.read('sealed'), /not available/);
    assert.equal(await (await TunnelStore.open(dir, scrambling)).read('byhand'), 'plain text');
  });

  test('concurrent creates of one name: exactly one wins', async (t) => {
    const store = await TunnelStore.open(scratch(t), plainText);
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.create('race', `writer ${i}`)));
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
    const names = await Promise.all(Array.from({ length: 5 }, () => store.createUnique('race', 'x', uniqueTunnelName)));
    assert.deepEqual(names, ['race-2', 'race-3', 'race-4', 'race-5', 'race-6']);
  });

  test('killed in the middle of saves, again and again: never torn, never behind what was acknowledged', async (t) => {
    const dir = scratch(t);
    const store = await TunnelStore.open(dir, plainText);
    await store.create('wg0', generation(0));
    await store.create('other', 'untouched');
    const self = fileURLToPath(import.meta.url);
    const execArgv = process.execArgv.filter((arg) => !arg.startsWith('--test'));
    const ROUNDS = 8;
    for (let round = 0; round < ROUNDS; round++) {
      const child = spawn(process.execPath, [...execArgv, self], {
        env: { ...process.env, [CHILD_ENV]: dir },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let acknowledged = 0;
      let output = '';
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        const acknowledgedAt: number[] = [];
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const saves = output.match(/saved \d+\n/g) ?? [];
          acknowledged = saves.length === 0 ? 0 : Number(/\d+/.exec(saves[saves.length - 1]!)![0]);
          acknowledgedAt.push(Date.now());
          if (acknowledgedAt.length !== 2) return;
          // Kill at a different point of a save each round, spread over one save's duration.
          const period = acknowledgedAt[1]! - acknowledgedAt[0]!;
          setTimeout(() => child.kill('SIGKILL'), Math.round(period * ((round * 0.38) % 1))).unref();
        });
        child.once('exit', () => resolve());
        child.once('error', reject);
      });
      await exited;
      assert.ok(acknowledged > 0, `round ${round}: the child saved something before it was killed`);
      const reopened = await TunnelStore.open(dir, plainText);
      const found = generationOf(await reopened.read('wg0'));
      assert.ok(found >= acknowledged, `round ${round}: generation ${found} on disk, ${acknowledged} acknowledged`);
      assert.equal(await reopened.read('other'), 'untouched');
      assert.deepEqual(readdirSync(dir).sort(), ['other.conf', 'wg0.conf'], 'no temp files left after reopening');
    }
  });

  test('tunnel names from file names, and suffixes for taken names', () => {
    assert.equal(tunnelNameFromFileName('wg0.conf'), 'wg0');
    assert.equal(tunnelNameFromFileName('some/dir/Home.CONF'), 'Home');
    assert.equal(tunnelNameFromFileName('My VPN (home).conf'), 'My_VPN_home');
    assert.equal(tunnelNameFromFileName('a-very-long-tunnel-name.conf'), 'a-very-long-tun');
    assert.equal(tunnelNameFromFileName('.conf'), 'tunnel');
    const taken = new Set(['wg0', 'wg0-2', 'a-very-long-tun']);
    assert.equal(
      uniqueTunnelName('wg0', (name) => taken.has(name)),
      'wg0-3',
    );
    assert.equal(
      uniqueTunnelName('free', (name) => taken.has(name)),
      'free',
    );
    assert.equal(
      uniqueTunnelName('a-very-long-tun', (name) => taken.has(name)),
      'a-very-long-t-2',
    );
  });

  test('preferences persist, follow renames and survive a damaged file', async (t) => {
    const path = join(scratch(t), 'preferences.json');
    const preferences = await Preferences.open(path);
    assert.deepEqual(preferences.settings, DEFAULT_SETTINGS);
    await preferences.saveSettings({ launchAtLogin: true, killSwitchDefault: false, theme: 'dark', rateUnit: 'bytes' });
    await preferences.setKillSwitch('wg0', true);
    await preferences.renameTunnel('wg0', 'home');
    const reopened = await Preferences.open(path);
    assert.deepEqual(reopened.settings, {
      launchAtLogin: true,
      killSwitchDefault: false,
      theme: 'dark',
      rateUnit: 'bytes',
    });
    assert.equal(reopened.killSwitch('home'), true);
    assert.equal(reopened.killSwitch('wg0'), false);
    await reopened.forgetTunnel('home');
    assert.equal((await Preferences.open(path)).killSwitch('home'), false);
    writeFileSync(path, '{"settings": {"theme": "neon", "launchAtLogin": true}, "killSwitch": [1]}');
    assert.deepEqual((await Preferences.open(path)).settings, { ...DEFAULT_SETTINGS, launchAtLogin: true });
    writeFileSync(path, 'not json');
    assert.deepEqual((await Preferences.open(path)).settings, DEFAULT_SETTINGS);
  });
}
