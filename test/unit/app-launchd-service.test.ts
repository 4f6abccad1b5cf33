// The app's side of the macOS helper daemon: when it can be installed, and the
// one command the password prompt runs for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appBundleOf, launchdHelperService } from '../../app/src/helper-client/launchd-service.js';
import type { SudoExec } from '../../app/src/helper-client/start-helper.js';

const APP = '/Applications/Wirefly.app';
const NODE = `${APP}/Contents/MacOS/Wirefly`;
const HELPER = `${APP}/Contents/Resources/app.asar.unpacked/helper/bin/wirefly-helper`;

function mac(nodePath: string, files: readonly string[] = []) {
  const commands: { command: string; env: unknown }[] = [];
  const exec = ((command: string, options: { env: unknown }, callback: (error?: Error) => void) => {
    commands.push({ command, env: options.env });
    callback();
  }) as unknown as SudoExec;
  const service = launchdHelperService({
    launch: { nodePath, helperScript: HELPER, uid: 501 },
    fileExists: (path) => files.includes(path),
    exec,
  });
  return { service, commands };
}

test('the bundle of the running app, when there is one', () => {
  assert.equal(appBundleOf(NODE), APP);
  assert.equal(appBundleOf('/usr/local/bin/node'), undefined);
  assert.equal(
    appBundleOf('/Users/me/Downloads/Wirefly.app/Contents/MacOS/Wirefly'),
    '/Users/me/Downloads/Wirefly.app',
  );
});

test('installable from /Applications, installed once the plist is there, unavailable elsewhere', async () => {
  assert.deepEqual(await mac(NODE).service.probe(), { kind: 'installable' });
  assert.deepEqual(await mac(NODE, ['/Library/LaunchDaemons/org.wirefly.helper.501.plist']).service.probe(), {
    kind: 'installed',
  });
  const elsewhere = mac('/Users/me/Downloads/Wirefly.app/Contents/MacOS/Wirefly');
  assert.equal((await elsewhere.service.probe()).kind, 'unavailable');
  await assert.rejects(elsewhere.service.install(true), /needs Wirefly\.app in \/Applications/);
  assert.deepEqual(elsewhere.commands, []);
});

test('one password prompt: the bundle made root, then the helper installs its daemon (now, or for the next boot)', async () => {
  const { service, commands } = mac(NODE);
  await service.install(true);
  await service.install(false);
  await service.start();
  assert.deepEqual(commands, [
    {
      command: `/usr/sbin/chown -R root:wheel '${APP}' && /bin/chmod -R go-w '${APP}' && '${NODE}' '${HELPER}' 'install-service' '--user' '501'`,
      env: { ELECTRON_RUN_AS_NODE: '1' },
    },
    {
      command: `/usr/sbin/chown -R root:wheel '${APP}' && /bin/chmod -R go-w '${APP}' && '${NODE}' '${HELPER}' 'install-service' '--user' '501' --at-next-boot`,
      env: { ELECTRON_RUN_AS_NODE: '1' },
    },
    {
      command: `/bin/launchctl bootstrap system '/Library/LaunchDaemons/org.wirefly.helper.501.plist' 2>/dev/null; /bin/launchctl kickstart system/org.wirefly.helper.501`,
      env: { ELECTRON_RUN_AS_NODE: '1' },
    },
  ]);
});
