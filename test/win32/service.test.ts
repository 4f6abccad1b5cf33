// install-service and uninstall-service for real under Wine's service manager:
// sc.exe and reg.exe as the installer runs them, a service process that
// answers the manager through the addon's dispatcher thread (a Node process
// cannot call StartServiceCtrlDispatcherW on its own thread), hears the stop
// request and reports itself stopped once done. Wine runs services as the
// prefix's user whatever obj= says, and its sc.exe has no `config`, so that
// LocalSystem and installing over an installed service are for Windows (the
// latter is in test/unit/service-win32.test.ts, through a recording runner).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceName, win32ServiceInstaller } from '../../helper/src/os/win32/service-installer.js';

const PROBE = fileURLToPath(new URL('./support/service-probe.js', import.meta.url));

function state(name: string): string {
  const query = spawnSync('sc.exe', ['query', name], { encoding: 'utf8' });
  return /STATE\s*:\s*\d+\s+(\w+)/.exec(query.stdout ?? '')?.[1] ?? `exit ${query.status}`;
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("the helper service: registered, started, stopped at the manager's request once done, removed", async (t) => {
  const user = `S-1-5-21-1-2-3-${100000 + Math.floor(Math.random() * 900000)}`;
  const name = serviceName(user);
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-service-'));
  const log = join(dir, 'probe.log');
  const installer = win32ServiceInstaller();
  t.after(async () => {
    await installer.uninstall({ user });
    rmSync(dir, { recursive: true, force: true });
  });
  await installer.install({ user, command: [process.execPath, PROBE, 'serve', '--user', user, log] });
  await until('the service to run', () => state(name) === 'RUNNING' && existsSync(log));
  assert.equal(readFileSync(log, 'utf8'), `started serve --user ${user}\n`);
  const environment = spawnSync(
    'reg.exe',
    ['query', `HKLM\\SYSTEM\\CurrentControlSet\\Services\\${name}`, '/v', 'Environment'],
    {
      encoding: 'utf8',
    },
  );
  assert.match(environment.stdout, /ELECTRON_RUN_AS_NODE=1/);
  await installer.uninstall({ user });
  assert.equal(readFileSync(log, 'utf8'), `started serve --user ${user}\nstop requested\nstopped\n`);
  // sc.exe query fails for a service that is not there (1060 on Windows, 1 under Wine).
  await until('the service to be gone', () => state(name).startsWith('exit '));
  await installer.uninstall({ user });
});
