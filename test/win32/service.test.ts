// The helper as a Windows service under Wine's service manager, end to end:
// install-service's sc.exe and reg.exe, the helper started by the manager and
// answering it through the addon's dispatcher thread (a Node process cannot
// call StartServiceCtrlDispatcherW on its own thread), its state folder made,
// `wirefly status` through its pipe after checking the process behind it,
// and uninstall-service's stop, which the helper honours by bringing its
// tunnels down and reporting itself stopped, before the service is deleted.
// Wine runs services as the prefix's user whatever obj= says, and its sc.exe
// has no `config`, so LocalSystem and installing over an installed service are
// for Windows (the latter is in test/unit/service-win32.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serviceName, win32ServiceInstaller } from '../../helper/src/os/win32/service-installer.js';
import { win32StateDirectory } from '../../helper/src/os/win32/state-store.js';
import { PID_FILE_NAME } from '../../helper/src/service/helper-pid-file.js';
import { helperStatus, IDLE_STATUS, serviceKey, serviceStateOf as state, until } from './support/service.js';

const HELPER = resolve('helper', 'bin', 'wirefly-helper');

test('the helper service: installed, started by the service manager, answering on its pipe, stopped in order, removed', async (t) => {
  // A SID of its own, so that concurrent runs in one Wine prefix do not meet.
  const user = `S-1-5-21-1-2-3-${100000 + Math.floor(Math.random() * 900000)}`;
  const name = serviceName(user);
  const stateDirectory = win32StateDirectory(user);
  const installer = win32ServiceInstaller();
  t.after(async () => {
    await installer.uninstall({ user });
    rmSync(stateDirectory, { recursive: true, force: true });
  });
  await installer.install({ user, command: [process.execPath, HELPER, 'serve', '--user', user] });
  const status = () => helperStatus(user);
  await until('the helper to answer on its pipe', () => state(name) === 'RUNNING' && status().status === 0);
  assert.match(status().stdout, IDLE_STATUS);
  assert.ok(existsSync(join(stateDirectory, 'journal')), 'the state folder and its journal');
  assert.ok(existsSync(join(stateDirectory, PID_FILE_NAME)), 'the pid file of a running helper');
  assert.match(serviceKey(name), /ELECTRON_RUN_AS_NODE=1/);
  await installer.uninstall({ user });
  // sc.exe query fails for a service that is not there (1060 on Windows, 1 under Wine).
  assert.match(state(name), /^exit /);
  assert.notEqual(status().status, 0, 'nothing answers on the pipe any more');
  assert.ok(!existsSync(join(stateDirectory, PID_FILE_NAME)), 'the helper went through its orderly stop');
});
