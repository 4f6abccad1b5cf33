// Named pipes under Wine: the helper's access list built, applied and read
// back; the client checks the process serving the pipe before it sends a byte;
// the real control server answers a real client over the pipe. Wine stores a
// pipe's security descriptor but does not enforce it, and lets a second server
// take a pipe name that is in use (FILE_FLAG_FIRST_PIPE_INSTANCE), so that
// another user is turned away and a second helper refused is for a real
// Windows to show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HelperConnection } from '../../helper/src/client/helper-connection.js';
import { currentPlatform } from '../../helper/src/os/platform.js';
import { helperPipePath, uapiPipePath } from '../../helper/src/os/win32/control-endpoint.js';
import { currentProcessUser, openHelperPipe } from '../../helper/src/os/win32/pipe-client.js';
import {
  accessEntries,
  ADMINISTRATORS_ONLY_SDDL,
  helperPipeSddl,
  LABEL_SECURITY_INFORMATION,
  readAccessList,
  runningUnderWine,
} from '../../helper/src/os/win32/security.js';
import type { Win32Error } from '../../helper/src/os/win32/koffi.js';
import { BootTunnels } from '../../helper/src/service/boot-tunnels.js';
import { startControlServer } from '../../helper/src/service/control-server.js';
import { FakeSystem } from '../unit/support/service-fakes.js';

const USER = 'S-1-5-21-3623811015-3361044348-30300820-1013';

function uniquePipe(name: string): string {
  return `\\\\.\\pipe\\ProtectedPrefix\\Administrators\\Wirefly\\test-${name}-${process.pid}-${Math.random().toString(16).slice(2)}`;
}

test("the helper's pipe: SYSTEM and Administrators in full, the user read and write, nothing inherited", () => {
  assert.equal(helperPipeSddl(USER), `D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GRGW;;;${USER})`);
  assert.equal(helperPipePath(USER), `\\\\.\\pipe\\ProtectedPrefix\\Administrators\\Wirefly\\helper-${USER}`);
  assert.equal(uapiPipePath('wg0'), '\\\\.\\pipe\\ProtectedPrefix\\Administrators\\WireGuard\\wg0');
  assert.throws(() => helperPipeSddl('S-1-5-18)(A;;GA;;;WD'), /not a user's SID/);
});

test('the access list is applied to the listening pipe and read back as set', async (t) => {
  const control = currentPlatform().control;
  const path = uniquePipe('acl');
  const server = createServer((socket) => socket.end());
  t.after(() => server.close());
  await control.listenForUser(server, path, USER);
  assert.deepEqual(accessEntries(readAccessList(path)), accessEntries(helperPipeSddl(USER)));
  const uapi = createServer((socket) => socket.end());
  t.after(() => uapi.close());
  const uapiPath = uniquePipe('uapi');
  await control.listenPrivately(uapi, uapiPath);
  assert.deepEqual(accessEntries(readAccessList(uapiPath)), accessEntries(ADMINISTRATORS_ONLY_SDDL));
  // The high mandatory label (UAPI_PIPE_SDDL): Windows reads it back; Wine 8 refuses to set or read
  // any label (ERROR_ACCESS_DENIED), and applyAccessList leaves it out there alone.
  let label: string | Win32Error;
  try {
    label = readAccessList(uapiPath, LABEL_SECURITY_INFORMATION);
  } catch (error) {
    label = error as Win32Error;
  }
  if (runningUnderWine()) assert.equal(typeof label === 'string' ? label : label.code, 5);
  else assert.deepEqual(accessEntries(label as string), ['ML;;NRNWNX;HI']);
});

test('the client learns who serves the pipe before it sends anything, and refuses a server it does not trust', async (t) => {
  const path = uniquePipe('client');
  const received: string[] = [];
  const server = createServer((socket) => {
    socket.on('data', (chunk) => {
      received.push(chunk.toString());
      socket.write(`echo ${chunk.toString()}`);
    });
  });
  t.after(() => server.close());
  await currentPlatform().control.listenForUser(server, path, USER);
  const me = currentProcessUser();
  assert.match(me.sid, /^S-1-5-/);
  let seen: { pid: number; sid: string } | undefined;
  assert.throws(
    () =>
      openHelperPipe(path, {
        trust: (identity) => {
          seen = identity;
          return false;
        },
      }),
    { code: 'EPERM', message: /is not Wirefly's helper service/ },
  );
  assert.equal(seen?.pid, process.pid);
  assert.equal(seen?.sid, me.sid);
  const socket = openHelperPipe(path, { trust: (identity) => identity.pid === process.pid });
  t.after(() => socket.destroy());
  const answer = await new Promise<string>((resolve, reject) => {
    socket.once('data', (chunk) => resolve(chunk.toString()));
    socket.once('error', reject);
    socket.write('hello');
  });
  assert.equal(answer, 'echo hello');
  assert.deepEqual(received, ['hello'], 'the refused connection sent nothing');
  assert.throws(() => openHelperPipe(uniquePipe('absent')), { code: 'ENOENT' });
});

test('the control server over its pipe: hello, a request and its answer, from the real client', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-pipe-'));
  const path = uniquePipe('control');
  const system = new FakeSystem();
  const manager = system.manager();
  const server = await startControlServer({
    path,
    user: USER,
    manager,
    boot: new BootTunnels(join(dir, 'boot')),
    helperVersion: '9.9.9',
  });
  t.after(async () => {
    await server.close();
    await manager.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });
  const connection = await HelperConnection.connect(path, 'win32-test', 10_000, (pipe) =>
    openHelperPipe(pipe, { trust: (identity) => identity.pid === process.pid }),
  );
  t.after(() => connection.close());
  assert.equal(connection.helperVersion, '9.9.9');
  assert.deepEqual(await connection.request('tunnel.list', {}), { tunnels: [] });
});
