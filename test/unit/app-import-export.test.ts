import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';
import {
  generatePrivateKey,
  keyToBase64,
  publicKeyFromPrivate,
  MAX_CONFIG_BYTES,
} from '../../helper/src/config/index.js';
import type { ImportedFile } from '../../app/src/api/wirefly-api.js';
import { HelperClient } from '../../app/src/helper-client/helper-client.js';
import { AppServices } from '../../app/src/services/app-services.js';
import { LogBuffer } from '../../app/src/services/log-buffer.js';
import { plainText } from '../../app/src/store/encryption.js';
import { Preferences } from '../../app/src/store/preferences.js';
import { TunnelStore } from '../../app/src/store/tunnel-store.js';
import { readConfigArchive } from '../../app/src/transfer/zip.js';
import { HelperServiceStandIn } from './support/helper-service-stand-in.js';
import { zipEntryModes } from './support/zip-modes.js';

function config(allowedIps = '10.0.0.0/24'): string {
  const peer = keyToBase64(publicKeyFromPrivate(generatePrivateKey()));
  return `[Interface]\nPrivateKey = ${keyToBase64(generatePrivateKey())}\nAddress = 10.0.0.2/32\n\n[Peer]\nPublicKey = ${peer}\nAllowedIPs = ${allowedIps}\nEndpoint = 192.0.2.1:51820\n`;
}

function file(fileName: string, data: Uint8Array | string): ImportedFile {
  return { fileName, dataBase64: Buffer.from(typeof data === 'string' ? strToU8(data) : data).toString('base64') };
}

/** The services with a helper client that is never started: everything but activation works. */
async function services(t: { after(fn: () => void): void }): Promise<AppServices> {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-app-import-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const helper = new HelperClient({ socketPath: join(dir, 'none.sock'), clientName: 'test', appVersion: '0.0.0' });
  return new AppServices({
    store: await TunnelStore.open(join(dir, 'tunnels'), plainText),
    preferences: await Preferences.open(join(dir, 'preferences.json')),
    helper,
    log: new LogBuffer(),
    launchHelper: () => Promise.reject(new Error('no helper in this test')),
    service: new HelperServiceStandIn(),
  });
}

test('imports .conf files, asking first about a taken name and a name that had to change', async (t) => {
  const api = await services(t);
  const [first, second, third] = [config(), config(), config()];
  const files = [file('wg0.conf', first), file('wg0.conf', second), file('My VPN (1).conf', third)];
  const result = await api.importFiles(files);
  assert.deepEqual(result, {
    imported: ['wg0'],
    failed: [],
    questions: [
      { source: 'wg0.conf (2)', name: 'wg0', taken: true },
      { source: 'My VPN (1).conf', name: 'My_VPN_1', taken: false, renamedFrom: 'My VPN (1)' },
    ],
  });
  assert.deepEqual(
    (await api.listTunnels()).map((tunnel) => tunnel.name),
    ['wg0'],
  );
  // The answers settle only the configs asked about: the first wg0 is not imported twice.
  const answered = await api.importFiles(files, {
    'wg0.conf (2)': { action: 'keep-both', name: 'wg0' },
    'My VPN (1).conf': { action: 'keep-both', name: 'myvpn' },
  });
  assert.deepEqual(answered, { imported: ['wg0-2', 'myvpn'], failed: [], questions: [] });
  assert.equal(await api.getConfig('wg0'), first);
  assert.equal(await api.getConfig('wg0-2'), second);
  assert.equal(await api.getConfig('myvpn'), third);
  const replaced = await api.importFiles([file('wg0.conf', third)], { 'wg0.conf': { action: 'replace', name: 'wg0' } });
  assert.deepEqual(replaced.imported, ['wg0']);
  assert.equal(await api.getConfig('wg0'), third);
  const skipped = await api.importFiles([file('wg0.conf', first)], { 'wg0.conf': { action: 'skip', name: 'wg0' } });
  assert.deepEqual(skipped, { imported: [], failed: [], questions: [] });
  assert.deepEqual(
    (await api.listTunnels()).map((tunnel) => tunnel.name),
    ['myvpn', 'wg0', 'wg0-2'],
  );
  // Opened from outside the window, there is no one to ask: taken names get a suffix.
  const unasked = await api.importFiles([file('wg0.conf', first)], 'keep-both');
  assert.deepEqual(unasked.imported, ['wg0-3']);
});

test('imports the .conf files of a zip archive, in folders too, ignoring the rest', async (t) => {
  const api = await services(t);
  const archive = zipSync({
    'home.conf': strToU8(config()),
    'office/work.conf': strToU8(config()),
    'README.txt': strToU8('not a config'),
    '__MACOSX/._home.conf': strToU8('resource fork'),
  });
  const result = await api.importFiles([file('all.zip', archive)]);
  assert.deepEqual(result, { imported: ['home', 'work'], failed: [], questions: [] });
});

test('refuses broken files with a reason that names the line', async (t) => {
  const api = await services(t);
  const result = await api.importFiles([
    file('bad.conf', '[Interface]\nPrivateKey = nope\n'),
    file('notes.txt', 'hello'),
    file('broken.zip', new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3])),
    file('ls.zip', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0])),
    file('empty.zip', zipSync({ 'a.txt': strToU8('x') })),
    file('good.conf', config()),
  ]);
  assert.deepEqual(result.imported, ['good']);
  const reasons = new Map(result.failed.map((failure) => [failure.fileName, failure.message]));
  assert.match(reasons.get('bad.conf') ?? '', /^line 2: PrivateKey/);
  assert.match(reasons.get('notes.txt') ?? '', /only \.conf files and \.zip/);
  assert.match(reasons.get('broken.zip') ?? '', /^the archive is damaged and could not be read/);
  assert.match(reasons.get('ls.zip') ?? '', /^the archive is damaged or is not a zip archive at all/);
  assert.match(reasons.get('empty.zip') ?? '', /no \.conf files/);
});

test('skips archive entries larger than a config may be', () => {
  const big = new Uint8Array(MAX_CONFIG_BYTES + 1).fill(0x23);
  const contents = readConfigArchive(zipSync({ 'huge.conf': big, 'small.conf': strToU8('x') }));
  assert.deepEqual(
    contents.entries.map((entry) => entry.path),
    ['small.conf'],
  );
  assert.deepEqual(
    contents.skipped.map((entry) => entry.path),
    ['huge.conf'],
  );
});

test('export then import gives back every tunnel, byte for byte', async (t) => {
  const source = await services(t);
  const texts = new Map([
    ['wg0', config()],
    ['home', config('0.0.0.0/0')],
    ['x.y=z', config()],
  ]);
  for (const [name, text] of texts) assert.equal((await source.createTunnel(name, text)).saved, true);
  const archive = await source.exportAll();
  assert.match(archive.fileName, /^wirefly-tunnels-\d{4}-\d{2}-\d{2}\.zip$/);
  const zip = Buffer.from(archive.dataBase64, 'base64');
  const inside = unzipSync(zip);
  assert.deepEqual(Object.keys(inside).sort(), ['home.conf', 'wg0.conf', 'x.y=z.conf']);
  assert.deepEqual(zipEntryModes(zip), [0o100600, 0o100600, 0o100600], 'each entry unpacks readable by its owner only');
  const one = await source.exportTunnel('home');
  assert.equal(one.fileName, 'home.conf');
  assert.equal(Buffer.from(one.dataBase64, 'base64').toString('utf8'), texts.get('home'));

  const target = await services(t);
  const result = await target.importFiles([{ fileName: archive.fileName, dataBase64: archive.dataBase64 }]);
  assert.deepEqual([...result.imported].sort(), [...texts.keys()].sort());
  for (const [name, text] of texts) assert.equal(await target.getConfig(name), text);
});

test('saving reports issues with line and column, and refuses errors', async (t) => {
  const api = await services(t);
  await api.createTunnel('wg0', config());
  const refused = await api.saveConfig('wg0', '[Interface]\nPrivateKey = nope\n');
  assert.equal(refused.saved, false);
  assert.deepEqual(
    refused.issues.map(({ severity, line, column, code, key }) => ({ severity, line, column, code, key })),
    [{ severity: 'error', line: 2, column: 14, code: 'bad-key-length', key: 'PrivateKey' }],
  );
  const warned = await api.saveConfig('wg0', '[Interface]\nAddress = 10.0.0.2/32\n');
  assert.equal(warned.saved, true);
  assert.deepEqual(warned.issues.map((issue) => issue.code).sort(), ['missing-private-key', 'no-peers']);
  assert.equal(await api.getConfig('wg0'), '[Interface]\nAddress = 10.0.0.2/32\n');
  const created = await api.createTunnel('bad', 'garbage');
  assert.equal(created.saved, false);
  assert.deepEqual(
    (await api.listTunnels()).map((tunnel) => tunnel.name),
    ['wg0'],
  );
});

test('the kill switch starts on for full-tunnel configs (per the setting) and can be changed', async (t) => {
  const api = await services(t);
  await api.createTunnel('full', config('0.0.0.0/0, ::/0'));
  await api.createTunnel('split', config('10.0.0.0/24'));
  await api.saveSettings({ ...(await api.getSettings()), killSwitchDefault: false });
  await api.createTunnel('full2', config('0.0.0.0/0'));
  const killSwitch = async (): Promise<Record<string, boolean>> =>
    Object.fromEntries((await api.listTunnels()).map((tunnel) => [tunnel.name, tunnel.killSwitch]));
  assert.deepEqual(await killSwitch(), { full: true, full2: false, split: false });
  await api.setKillSwitch('split', true);
  await api.renameTunnel('split', 'split2');
  assert.deepEqual(await killSwitch(), { full: true, full2: false, split2: true });
  await assert.rejects(api.setKillSwitch('nope', true), /no tunnel named/);
});

test('tunnel list listeners hear about every change', async (t) => {
  const api = await services(t);
  const heard: string[][] = [];
  const unsubscribe = api.onTunnels((tunnels) => heard.push(tunnels.map((tunnel) => tunnel.name)));
  await api.createTunnel('a', config());
  await api.importFiles([file('b.conf', config())]);
  await api.renameTunnel('a', 'c');
  await api.deleteTunnel('b');
  unsubscribe();
  await api.deleteTunnel('c');
  assert.deepEqual(heard, [['a'], ['a', 'b'], ['b', 'c'], ['c']]);
});
