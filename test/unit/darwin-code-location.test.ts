// The check that nobody but root can change the files a root helper runs on
// macOS, against a fake Mac's file system: the bundle as a .pkg or the
// password prompt leaves it passes; a Finder copy, a writable folder inside or
// above it, and a link out of it into a user's folder each fail, naming the path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appBundleOf, codeLocationProblem, helperCodeRoots } from '../../helper/src/os/darwin/code-location.js';
import { darwinPlatform } from '../../helper/src/os/darwin/index.js';
import { parseServeArguments, serve, type ServeOptions } from '../../helper/src/service/serve.js';
import { ADMIN, APP, ELECTRON, FakeCodeFiles, HELPER_SCRIPT, ME, STAFF } from './support/code-files-fake.js';
import { FakeMac } from './support/darwin-fake.js';

const ROOTS = helperCodeRoots(ELECTRON, HELPER_SCRIPT);
const UNPACKED = `${APP}/Contents/Resources/app.asar.unpacked`;
const check = (files: FakeCodeFiles, roots = ROOTS) => codeLocationProblem(roots, { files });

test('the whole bundle is what runs as root when the executable and the script are in it; else both and the package', () => {
  assert.equal(appBundleOf(ELECTRON), APP);
  assert.equal(appBundleOf('/usr/local/bin/node'), undefined);
  assert.equal(
    appBundleOf('/Users/me/Downloads/Wirefly.app/Contents/MacOS/Wirefly'),
    '/Users/me/Downloads/Wirefly.app',
  );
  assert.deepEqual(ROOTS, [APP]);
  assert.deepEqual(helperCodeRoots('/usr/local/bin/node', '/Users/me/src/wirefly/helper/bin/wirefly-helper'), [
    '/usr/local/bin/node',
    '/Users/me/src/wirefly',
  ]);
  // Electron's binary with a script from elsewhere: the bundle is not all that runs.
  assert.deepEqual(helperCodeRoots(ELECTRON, '/Users/me/src/wirefly/helper/bin/wirefly-helper'), [
    ELECTRON,
    '/Users/me/src/wirefly',
  ]);
});

test("a root-owned bundle in /Applications (root:admin 0775) passes, every file of it looked at, its users' links too", async () => {
  const files = FakeCodeFiles.mac();
  assert.equal(await check(files), undefined);
  for (const path of [
    '/',
    '/Applications',
    `${APP}/Contents/Frameworks/Electron Framework.framework/Versions/A/Electron Framework`,
    `${APP}/Contents/Frameworks/Electron Framework.framework/Versions/Current`,
    `${UNPACKED}/node_modules/zod/index.js`,
    `${APP}/Contents/Library/LaunchDaemons/org.wirefly.helper.plist`,
  ]) {
    assert.ok(files.looked.includes(path), path);
  }
});

test('a Finder copy, which belongs to the user who made it, fails naming the bundle', async () => {
  const files = FakeCodeFiles.mac();
  files.chown(APP, { uid: ME, gid: STAFF });
  assert.equal(await check(files), `${APP} belongs to uid ${ME}, not root`);
  // chown -R root:wheel, as the password prompt runs it, is enough.
  files.chown(APP, { uid: 0, gid: 0 });
  assert.equal(await check(files), undefined);
});

test('one user-owned file deep in the bundle fails, naming it', async () => {
  const files = FakeCodeFiles.mac();
  files.file(`${UNPACKED}/dist/helper/src/cli/wirefly-helper.js`, { uid: ME, gid: STAFF });
  assert.equal(await check(files), `${UNPACKED}/dist/helper/src/cli/wirefly-helper.js belongs to uid ${ME}, not root`);
});

test('inside the bundle nothing may be writable by a group or by everyone, not even the admin group', async () => {
  const files = FakeCodeFiles.mac();
  files.folder(`${UNPACKED}/node_modules`, { gid: ADMIN, mode: 0o775 });
  assert.equal(await check(files), `${UNPACKED}/node_modules is writable by group 80 (mode 775)`);
  files.chmod(`${UNPACKED}/node_modules`, 0o755);
  files.chmod(HELPER_SCRIPT, 0o757);
  assert.equal(await check(files), `${HELPER_SCRIPT} is writable by everyone (mode 757)`);
});

test('above the bundle: root, and group write only for admin or wheel; everyone write only where sticky', async () => {
  const files = FakeCodeFiles.mac();
  files.chmod('/Applications', 0o777);
  assert.equal(await check(files), '/Applications is writable by everyone (mode 777)');
  files.folder('/Applications', { gid: STAFF, mode: 0o775 });
  assert.equal(await check(files), '/Applications is writable by group 20 (mode 775)');
  files.folder('/Applications', { uid: ME, gid: ADMIN, mode: 0o755 });
  assert.equal(await check(files), `/Applications belongs to uid ${ME}, not root`);

  // A root-owned bundle in a user's own Applications folder: the user may rename it away.
  const home = FakeCodeFiles.mac();
  home.bundle('/Users/me/Applications/Wirefly.app');
  const inHome = helperCodeRoots(
    '/Users/me/Applications/Wirefly.app/Contents/MacOS/Wirefly',
    '/Users/me/Applications/Wirefly.app/Contents/Resources/app.asar.unpacked/helper/bin/wirefly-helper',
  );
  assert.equal(await check(home, inHome), `/Users/me belongs to uid ${ME}, not root`);

  // /tmp is a link to /private/tmp, 1777: in a sticky folder only root may rename root's entries.
  const tmp = FakeCodeFiles.mac();
  tmp.bundle('/private/tmp/x/Wirefly.app');
  assert.equal(await check(tmp, ['/tmp/x/Wirefly.app']), undefined);
  assert.ok(tmp.looked.includes('/private/tmp/x/Wirefly.app/Contents/MacOS/Wirefly'));
});

test("a link out of the bundle is followed: into a user's folder it fails, naming where it leads", async () => {
  const files = FakeCodeFiles.mac();
  const link = `${UNPACKED}/node_modules/koffi`;
  files.folder('/Users/me/koffi', { uid: ME, gid: STAFF });
  files.link(link, '/Users/me/koffi');
  assert.equal(await check(files), `/Users/me belongs to uid ${ME}, not root (where ${link} leads)`);

  // A root-owned target outside the bundle passes, and is checked through and through.
  const elsewhere = FakeCodeFiles.mac();
  elsewhere.file('/Library/Wirefly/koffi/index.js');
  elsewhere.link(link, '../../../../../../Library/Wirefly/koffi');
  assert.equal(await check(elsewhere), undefined);
  assert.ok(elsewhere.looked.includes('/Library/Wirefly/koffi/index.js'));
  elsewhere.file('/Library/Wirefly/koffi/index.js', { uid: ME });
  assert.equal(
    await check(elsewhere),
    `/Library/Wirefly/koffi/index.js belongs to uid ${ME}, not root (where ${link} leads)`,
  );
});

test('a link that leads back into the bundle through a user-owned link still fails: every hop is checked', async () => {
  const files = FakeCodeFiles.mac();
  const link = `${UNPACKED}/node_modules/zod-link`;
  files.link('/Users/me/hop', `${UNPACKED}/node_modules/zod`, { uid: ME, gid: STAFF });
  files.link(link, '/Users/me/hop');
  assert.equal(await check(files), `/Users/me belongs to uid ${ME}, not root (where ${link} leads)`);
});

test('a link to nothing, and a loop of links, fail', async () => {
  const dangling = FakeCodeFiles.mac();
  dangling.link(`${UNPACKED}/node_modules/gone`, '/Library/Wirefly/gone');
  assert.match((await check(dangling))!, /^\/Library\/Wirefly cannot be checked: ENOENT.* \(where .*\/gone leads\)$/);
  const loop = FakeCodeFiles.mac();
  loop.link(`${UNPACKED}/a`, 'b');
  loop.link(`${UNPACKED}/b`, 'a');
  assert.match((await check(loop))!, /passes through more than 32 links/);
});

// ---- the helper's own check at serve ----

const SERVE: ServeOptions = {
  user: '501',
  socketPath: '/var/run/wirefly/501/helper.sock',
  stateDirectory: '/var/db/wirefly/501',
  settingsPath: '/Library/Application Support/Wirefly/helper.json',
  verbose: false,
};

/** A fake Mac whose state folder cannot be prepared: reaching that step means the check let serve go on. */
function macServe(mac: FakeMac) {
  const platform = {
    ...darwinPlatform(mac),
    store: {
      directory: (user: string) => `/var/db/wirefly/${user}`,
      prepare: async () => {
        throw new Error('past the check');
      },
    },
  };
  return (options: ServeOptions) => serve(options, { platform, executable: ELECTRON, script: HELPER_SCRIPT });
}

async function stderrOf(run: () => Promise<unknown>): Promise<string> {
  const write = process.stderr.write;
  let text = '';
  process.stderr.write = ((chunk: string) => ((text += chunk), true)) as typeof process.stderr.write;
  try {
    await run();
  } catch {
    // The caller asserts on the outcome itself.
  } finally {
    process.stderr.write = write;
  }
  return text;
}

test('serve refuses, before it changes anything, to run as root from a bundle that is not root alone', async () => {
  const mac = new FakeMac();
  mac.files.chown(APP, { uid: ME, gid: STAFF });
  await assert.rejects(
    macServe(mac)(SERVE),
    new RegExp(`^Error: refusing to serve as root: ${APP} belongs to uid ${ME}, not root`),
  );
  assert.deepEqual(mac.calls, []);
  // A daemon's arguments carry no way around it.
  assert.equal((parseServeArguments(['--user', '501'], 'darwin') as ServeOptions).allowUnsafeCode, undefined);
});

test('serve goes on from a root-owned bundle; for a session, from any other with a warning', async () => {
  const mac = new FakeMac();
  const run = macServe(mac);
  await assert.rejects(run(SERVE), /past the check/);
  mac.files.chown(APP, { uid: ME, gid: STAFF });
  const session = parseServeArguments(['--user', '501', '--allow-unsafe-code'], 'darwin') as ServeOptions;
  assert.equal(session.allowUnsafeCode, true);
  let outcome: unknown;
  const said = await stderrOf(() => run(session).catch((error: Error) => (outcome = error.message)));
  assert.equal(outcome, 'past the check');
  assert.match(said, new RegExp(`WARN helper: serving for this session, though ${APP} belongs to uid ${ME}, not root`));
  // The console user's daemon is launchd's alone: it cannot be told to skip the check.
  assert.match(
    parseServeArguments(['--user', 'console', '--state-dir', '/d', '--allow-unsafe-code'], 'darwin') as string,
    /no --socket or --allow-unsafe-code/,
  );
});
