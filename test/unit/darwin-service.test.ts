// The launchd daemon on macOS: the plist template of packaging/macos made into
// one user's daemon, root's file in /Library/LaunchDaemons, bootstrapped into
// the system domain; installed again it is replaced, removed it is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  daemonLabel,
  darwinServiceInstaller,
  findPlistTemplate,
  programFiles,
} from '../../helper/src/os/darwin/service-installer.js';
import { parseServiceArguments, SERVICE_USAGE } from '../../helper/src/cli/wirefly-helper.js';
import { FakeMac } from './support/darwin-fake.js';

/** LaunchDaemons and an installed app in a scratch folder: the template's /Applications/Wirefly.app moved there. */
function setup(t: { after(fn: () => void): void }) {
  const root = mkdtempSync(join(tmpdir(), 'wirefly-launchd-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const directory = join(root, 'LaunchDaemons');
  const app = join(root, 'Wirefly.app');
  mkdirSync(directory);
  const real = readFileSync(findPlistTemplate(), 'utf8');
  for (const file of programFiles(real)) {
    const moved = file.replace('/Applications/Wirefly.app', app);
    mkdirSync(join(moved, '..'), { recursive: true, mode: 0o755 });
    writeFileSync(moved, '#!/bin/sh\n', { mode: 0o755 });
  }
  const template = join(root, 'template.plist');
  writeFileSync(template, real.replaceAll('/Applications/Wirefly.app', app));
  const mac = new FakeMac();
  const owner = process.getuid?.() ?? 0;
  return { mac, app, directory, installer: darwinServiceInstaller({ run: mac.run, directory, template, owner }) };
}

test('install writes the uid into the template, 0644, and bootstraps it; again, it replaces the loaded one', async (t) => {
  const { mac, directory, installer } = setup(t);
  await installer.install({ user: '501' });
  const path = join(directory, 'org.wirefly.helper.501.plist');
  const plist = readFileSync(path, 'utf8');
  assert.match(readFileSync(findPlistTemplate(), 'utf8'), /USER_UID/);
  assert.doesNotMatch(plist, /USER_UID/);
  assert.match(plist, /<string>\/var\/run\/wirefly\/501\/helper\.sock<\/string>/);
  assert.match(plist, /<string>\/var\/log\/wirefly-helper\.501\.log<\/string>/);
  assert.equal(statSync(path).mode & 0o777, 0o644);
  assert.deepEqual(mac.commandsOf('launchctl'), [
    ['launchctl', 'bootout', 'system/org.wirefly.helper.501'],
    ['launchctl', 'enable', 'system/org.wirefly.helper.501'],
    ['launchctl', 'bootstrap', 'system', path],
  ]);
  assert.equal(mac.launchd.get('org.wirefly.helper.501'), path);
  await installer.install({ user: '501' });
  assert.equal(mac.launchd.size, 1);
});

test('for the next boot only, the plist is written and enabled but not bootstrapped', async (t) => {
  const { mac, directory, installer } = setup(t);
  await installer.install({ user: '501', startNow: false });
  assert.ok(existsSync(join(directory, 'org.wirefly.helper.501.plist')));
  assert.deepEqual(
    mac.commandsOf('launchctl').map((argv) => argv[1]),
    ['bootout', 'enable'],
  );
});

test('the daemon is refused while the files it would run as root are writable by anyone but root', async (t) => {
  const { mac, app, directory, installer } = setup(t);
  const script = join(app, 'Contents', 'Resources', 'app.asar.unpacked', 'helper', 'bin', 'wirefly-helper');
  chmodSync(script, 0o775);
  await assert.rejects(installer.install({ user: '501' }), new RegExp(`but ${script} is writable by group`));
  chmodSync(script, 0o755);
  chmodSync(join(app, 'Contents'), 0o777);
  await assert.rejects(
    installer.install({ user: '501' }),
    new RegExp(`but ${join(app, 'Contents')} is writable by everyone \\(mode 777\\)`),
  );
  assert.equal(existsSync(join(directory, 'org.wirefly.helper.501.plist')), false);
  assert.equal(mac.calls.length, 0);
});

test('uninstall boots the daemon out and removes its plist; an absent one is no error; only numeric uids', async (t) => {
  const { mac, directory, installer } = setup(t);
  await installer.install({ user: '502' });
  await installer.uninstall({ user: '502' });
  assert.equal(existsSync(join(directory, 'org.wirefly.helper.502.plist')), false);
  assert.equal(mac.launchd.size, 0);
  await installer.uninstall({ user: '502' });
  for (const user of ['root', '../501', '', 'S-1-5-21-1']) {
    assert.throws(() => daemonLabel(user), /not a numeric uid/);
    await assert.rejects(installer.install({ user }), /not a numeric uid/);
  }
});

test('wirefly-helper install-service takes --at-next-boot after the user', () => {
  const me = () => '501';
  assert.deepEqual(parseServiceArguments(['--user', '502'], me), { user: '502' });
  assert.deepEqual(parseServiceArguments(['--user', '502', '--at-next-boot'], me), { user: '502', startNow: false });
  assert.deepEqual(parseServiceArguments(['--at-next-boot'], me), { user: '501', startNow: false });
  for (const argv of [['--user'], ['--user', '502', '--now'], ['--at-next-boot', '--user', '502']]) {
    assert.equal(parseServiceArguments(argv, me), SERVICE_USAGE, argv.join(' '));
  }
});
