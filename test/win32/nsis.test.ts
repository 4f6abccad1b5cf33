// The NSIS hooks (packaging/windows/installer.nsh) in a test installer under
// Wine: compiled by Debian's makensis (test/win32/run.mjs, before Wine starts),
// run silently as an administrator's install would run, the service it
// registers started by Wine's service manager for the session's user and
// answering on its pipe, and a second user's service added as the app's
// first-run offer adds one; then the uninstaller, silently, which stops and
// removes both services and then ProgramData\Wirefly before the files go. Also the session's user through
// the real WTSQuerySessionInformationW and LookupAccountNameW. Under Wine the
// installer's token and the session belong to the same user (S-1-5-21-0-0-0-1000,
// the prefix's), so the over-the-shoulder case, where they differ, is tested
// through a recording binding (test/unit/service-win32.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path/win32';
import { currentProcessUser } from '../../helper/src/os/win32/pipe-client.js';
import { isUserSid } from '../../helper/src/os/win32/security.js';
import { serviceName, win32ServiceInstaller } from '../../helper/src/os/win32/service-installer.js';
import { koffiSessionAccountApi, sessionUserSid } from '../../helper/src/os/win32/session-user.js';
import { removeTree, win32StateDirectory, win32StateRoot } from '../../helper/src/os/win32/state-store.js';
import { PID_FILE_NAME } from '../../helper/src/service/helper-pid-file.js';
import { helperStatus, IDLE_STATUS, serviceKey, serviceStateOf, until } from './support/service.js';

function installer(): string {
  const path = process.env['WIREFLY_TEST_INSTALLER'];
  if (!path) throw new Error('WIREFLY_TEST_INSTALLER is unset: run test/win32/run.mjs, which builds it with makensis');
  return path;
}

/** An NSIS installer or uninstaller, silent; /D= and _?= must come last and unquoted, as NSIS reads them. */
function runNsis(executable: string, argv: string[]): number | null {
  // Verbatim arguments leave the program's own name unquoted too, and NSIS would read the rest of its path as arguments.
  const ran = spawnSync(executable, argv, {
    argv0: `"${executable}"`,
    windowsVerbatimArguments: true,
    stdio: 'ignore',
    timeout: 120_000,
  });
  if (ran.error) throw ran.error;
  return ran.status;
}

test("the session's user through WTSQuerySessionInformationW and LookupAccountNameW: the desktop user's SID", () => {
  const sid = sessionUserSid();
  assert.ok(isUserSid(sid), sid);
  // The process token, read another way (GetTokenInformation), names the same user under Wine.
  assert.equal(sid, currentProcessUser().sid);
  assert.equal(koffiSessionAccountApi().accountSid(`no-such-user-${randomBytes(4).toString('hex')}`), undefined);
});

/** Another user of the machine, whose service the app's first run added (install-service --user SID). */
const OTHER = 'S-1-5-21-0-0-0-1001';

test("the NSIS installer registers the helper service for the session user, the uninstaller removes every user's", async (t) => {
  const setup = installer();
  const user = currentProcessUser().sid;
  const name = serviceName(user);
  const other = serviceName(OTHER);
  // With spaces, as C:\Program Files\Wirefly has, in the installer's command lines and the service's binPath.
  const installDir = `C:\\Program Files\\Wirefly nsis test ${randomBytes(4).toString('hex')}`;
  const stateDirectory = win32StateDirectory(user);
  assert.match(
    serviceStateOf(name),
    /^exit /,
    `${name} is installed already (an earlier run killed before its cleanup?): sc.exe delete it`,
  );
  assert.match(serviceStateOf(other), /^exit /, `${other} is installed already: sc.exe delete it`);
  t.after(async () => {
    for (const each of [user, OTHER])
      await win32ServiceInstaller()
        .uninstall({ user: each })
        .catch(() => {});
    rmSync(installDir, { recursive: true, force: true });
    await removeTree(win32StateRoot());
  });

  assert.equal(runNsis(setup, ['/S', `/D=${installDir}`]), 0, 'the installer, and install-service in it, succeeded');
  const helper = join(installDir, 'resources', 'app.asar.unpacked', 'helper', 'bin', 'wirefly-helper');
  assert.ok(existsSync(helper), 'the helper where the package puts it');
  await until('the installed helper to answer on its pipe', () => {
    return serviceStateOf(name) === 'RUNNING' && helperStatus(user).status === 0;
  });
  assert.match(helperStatus(user).stdout, IDLE_STATUS);
  const key = serviceKey(name);
  // The installed app's executable runs the installed helper, for the session's user.
  const imagePath = /ImagePath\s+REG_\w+\s+(.*)/.exec(key)?.[1]?.trim();
  assert.equal(imagePath, `"${join(installDir, 'Wirefly.exe')}" "${helper}" serve --user ${user}`);
  assert.match(key, /ELECTRON_RUN_AS_NODE=1/);
  assert.ok(existsSync(join(stateDirectory, PID_FILE_NAME)), 'the pid file of the running helper');

  // A second user's service, running the installed helper as the app's first-run offer registers it, and
  // a boot copy of a tunnel config in each state folder.
  await win32ServiceInstaller().install({
    user: OTHER,
    command: [join(installDir, 'Wirefly.exe'), helper, 'serve', '--user', OTHER],
  });
  await until("the other user's helper to answer on its pipe", () => {
    return serviceStateOf(other) === 'RUNNING' && helperStatus(OTHER).status === 0;
  });
  const otherState = win32StateDirectory(OTHER);
  assert.notEqual(otherState, stateDirectory);
  const bootCopies = [join(stateDirectory, 'boot-test', 'wg0.conf'), join(otherState, 'boot-test', 'wg1.conf')];
  for (const copy of bootCopies) {
    mkdirSync(join(copy, '..'), { recursive: true });
    writeFileSync(copy, '[Interface]\nPrivateKey = not-a-real-key\n');
  }

  // Named as test/win32/support/test-installer.mjs names it. _?=: the uninstaller runs in
  // place and is waited for (else it copies itself to %TEMP% and returns at once).
  assert.equal(runNsis(join(installDir, 'Uninstall Wirefly.exe'), ['/S', `_?=${installDir}`]), 0);
  assert.match(serviceStateOf(name), /^exit /, 'the service is gone');
  assert.match(serviceStateOf(other), /^exit /, "the other user's service is gone too");
  assert.notEqual(helperStatus(user).status, 0, 'nothing answers on the pipe any more');
  assert.notEqual(helperStatus(OTHER).status, 0, "nor on the other user's");
  for (const copy of bootCopies) assert.ok(!existsSync(copy), `${copy} is gone`);
  assert.ok(!existsSync(win32StateRoot()), 'ProgramData\\Wirefly is gone');
  assert.ok(!existsSync(join(installDir, 'resources')), "the app's files are gone");
});
