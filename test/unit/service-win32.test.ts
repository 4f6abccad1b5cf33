// The Windows service registration through a recording runner (sc.exe and
// reg.exe are Windows'), the command line quoted as Windows reads it back, and
// the session's user found through a recording session binding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandFailed, type CommandRunner } from '../../helper/src/os/command.js';
import {
  quoteArgument,
  serviceName,
  serviceUsers,
  uninstallAllUsers,
  win32ServiceInstaller,
} from '../../helper/src/os/win32/service-installer.js';
import { removeTree, win32StateRoot } from '../../helper/src/os/win32/state-store.js';
import { parseServiceArguments, runUninstallAllUsers, SERVICE_USAGE } from '../../helper/src/cli/wirefly-helper.js';
import { UAPI_PIPE_SDDL } from '../../helper/src/os/win32/security.js';
import { win32ControlEndpoint } from '../../helper/src/os/win32/control-endpoint.js';
import { sessionUserSid, SID_TYPE_USER, type SessionAccountApi } from '../../helper/src/os/win32/session-user.js';

const USER = 'S-1-5-21-3623811015-3361044348-30300820-1013';
const NAME = `WireflyHelper-${USER}`;

/**
 * sc.exe and reg.exe as recorded calls; `states` are what successive `sc.exe query` calls find (undefined: no service);
 * `services`, the subkeys `reg.exe query` lists under the Services key.
 */
function recording(
  states: (string | undefined)[] = [undefined],
  failures: Record<string, number> = {},
  services: string[] = [],
) {
  const calls: string[] = [];
  const run: CommandRunner = async (argv) => {
    const text = argv.join(' ');
    calls.push(text);
    if (argv[0] === 'reg.exe' && argv[1] === 'query') {
      const key = 'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services';
      return `\r\n${key}\r\n\r\n${services.map((name) => `${key}\\${name}\r\n`).join('')}`;
    }
    if (argv[1] === 'query') {
      const state = states.length > 1 ? states.shift() : states[0];
      if (state === undefined) throw new CommandFailed(argv, 1060, '');
      return `SERVICE_NAME: ${argv[2]}\n        STATE              : 4  ${state}\n`;
    }
    const code = Object.entries(failures).find(([prefix]) => text.startsWith(prefix))?.[1];
    if (code !== undefined) throw new CommandFailed(argv, code, `[SC] failed ${code}`);
    return '';
  };
  return { run, calls, installer: win32ServiceInstaller(run, async () => {}) };
}

const COMMAND = [
  'C:\\Program Files\\Wirefly\\Wirefly.exe',
  'C:\\Program Files\\Wirefly\\resources\\app.asar.unpacked\\helper\\bin\\wirefly-helper',
  'serve',
  '--user',
  USER,
];
const BIN_PATH = `"C:\\Program Files\\Wirefly\\Wirefly.exe" "C:\\Program Files\\Wirefly\\resources\\app.asar.unpacked\\helper\\bin\\wirefly-helper" serve --user ${USER}`;

test("install-service: a LocalSystem service started at boot, restarted on failure, in Electron's Node, then started", async () => {
  const { installer, calls } = recording();
  await installer.install({ user: USER, command: COMMAND });
  assert.deepEqual(calls, [
    `sc.exe query ${NAME}`,
    `sc.exe create ${NAME} binPath= ${BIN_PATH} start= auto obj= LocalSystem DisplayName= Wirefly helper for ${USER}`,
    `sc.exe description ${NAME} Brings up Wirefly tunnels for one user`,
    `sc.exe failure ${NAME} reset= 86400 actions= restart/5000/restart/5000/restart/30000`,
    `reg.exe add HKLM\\SYSTEM\\CurrentControlSet\\Services\\${NAME} /v Environment /t REG_MULTI_SZ /d ELECTRON_RUN_AS_NODE=1 /f`,
    `sc.exe start ${NAME}`,
  ]);
});

test('installing again updates the service and leaves it running; uninstalling waits for the helper to stop', async () => {
  const again = recording(['RUNNING']);
  await again.installer.install({ user: USER, command: COMMAND });
  assert.equal(again.calls[1], `sc.exe config ${NAME} binPath= ${BIN_PATH} start= auto obj= LocalSystem`);
  assert.ok(!again.calls.some((call) => call.startsWith('sc.exe start')));
  const running = recording(['RUNNING', 'STOP_PENDING', 'STOP_PENDING', 'STOPPED']);
  await running.installer.uninstall({ user: USER });
  assert.deepEqual(running.calls, [
    `sc.exe query ${NAME}`,
    `sc.exe stop ${NAME}`,
    `sc.exe query ${NAME}`,
    `sc.exe query ${NAME}`,
    `sc.exe query ${NAME}`,
    `sc.exe delete ${NAME}`,
  ]);
  const absent = recording([undefined]);
  await absent.installer.uninstall({ user: USER });
  assert.deepEqual(absent.calls, [`sc.exe query ${NAME}`]);
  const stuck = recording(['RUNNING', 'STOP_PENDING']);
  await assert.rejects(stuck.installer.uninstall({ user: USER }), /did not stop within 60 s/);
  const denied = recording(['RUNNING'], { 'sc.exe stop': 5 });
  await assert.rejects(denied.installer.uninstall({ user: USER }), CommandFailed);
  await assert.rejects(recording().installer.install({ user: USER }), /needs the helper command line/);
  assert.throws(() => serviceName('S-1-5-18'), /not a user's SID/);
});

test('command-line quoting as CommandLineToArgvW reads it back; the user defaults to the installing one', () => {
  assert.equal(quoteArgument('plain'), 'plain');
  assert.equal(quoteArgument('C:\\Program Files\\x'), '"C:\\Program Files\\x"');
  assert.equal(quoteArgument('say "hi"'), '"say \\"hi\\""');
  assert.equal(quoteArgument('ends\\ with\\'), '"ends\\ with\\\\"');
  assert.equal(quoteArgument(''), '""');
  assert.deepEqual(
    parseServiceArguments([], () => USER),
    { user: USER },
  );
  assert.deepEqual(
    parseServiceArguments(['--user', USER], () => 'other'),
    { user: USER },
  );
  assert.match(parseServiceArguments(['--sid'], () => USER) as string, /Usage/);
});

test('install-service --at-next-boot registers the service without starting it (a session helper holds the pipe)', async () => {
  const { installer, calls } = recording();
  await installer.install({ user: USER, command: COMMAND, startNow: false });
  assert.ok(calls.some((call) => call.startsWith(`sc.exe create ${NAME}`)));
  assert.ok(!calls.some((call) => call.startsWith('sc.exe start')), calls.join('\n'));
});

/** WTS and LookupAccountNameW as recorded calls: the session's account, and what each name maps to. */
function session(user: string, domain: string, accounts: Record<string, { sid: string; type: number }>) {
  const calls: string[] = [];
  const api: SessionAccountApi = {
    sessionAccount() {
      calls.push('WTSQuerySessionInformationW');
      return { user, domain };
    },
    accountSid(account) {
      calls.push(`LookupAccountNameW ${account}`);
      return accounts[account];
    },
  };
  return { api, calls };
}

const ADMIN = 'S-1-5-21-3623811015-3361044348-30300820-500';

test("over the shoulder: the installer's token is the administrator's, the service goes to the session's user", () => {
  const desktop = session('alice', 'PC', { 'PC\\alice': { sid: USER, type: SID_TYPE_USER } });
  const resolve = () => sessionUserSid(desktop.api);
  const administrator = () => ADMIN;
  assert.deepEqual(parseServiceArguments(['--user', 'session'], administrator, resolve), { user: USER });
  assert.deepEqual(parseServiceArguments(['--user', 'session', '--at-next-boot'], administrator, resolve), {
    user: USER,
    startNow: false,
  });
  // The account is named with its domain: a local "alice" is not the domain's.
  assert.deepEqual(desktop.calls, [
    'WTSQuerySessionInformationW',
    'LookupAccountNameW PC\\alice',
    'WTSQuerySessionInformationW',
    'LookupAccountNameW PC\\alice',
  ]);
  assert.equal(sessionUserSid(session('bob', '', { bob: { sid: USER, type: SID_TYPE_USER } }).api), USER);
  // Linux and macOS have no such session to ask.
  assert.match(parseServiceArguments(['--user', 'session'], administrator) as string, /--user session is for Windows/);
  assert.equal(parseServiceArguments(['--user', 'session', '--now'], administrator, resolve), SERVICE_USAGE);
});

test("the session's user is refused unless it is one user's account", () => {
  assert.throws(() => sessionUserSid(session('', '', {}).api), /nobody is logged on to the session.*--user SID/);
  assert.throws(() => sessionUserSid(session('ghost', 'PC', {}).api), /PC\\ghost names no account/);
  const group = session('Users', 'BUILTIN', { 'BUILTIN\\Users': { sid: 'S-1-5-32-545', type: 4 } });
  assert.throws(() => sessionUserSid(group.api), /S-1-5-32-545 \(SID type 4\), not a user's SID/);
  const system = session('SYSTEM', 'NT AUTHORITY', {
    'NT AUTHORITY\\SYSTEM': { sid: 'S-1-5-18', type: SID_TYPE_USER },
  });
  assert.throws(() => sessionUserSid(system.api), /S-1-5-18 .*not a user's SID/);
});

const OTHER = 'S-1-5-21-3623811015-3361044348-30300820-1001';

test('uninstall-service --all-users: every Wirefly service stopped in turn and removed, then the state folders', async () => {
  const services = [
    'AFD',
    `WireflyHelper-${USER}`,
    `wireflyhelper-${OTHER}`,
    'WireflyHelper-S-1-5-18',
    'WireflyHelperX',
  ];
  const { run, calls, installer } = recording(['RUNNING', 'STOPPED', 'STOPPED'], {}, services);
  assert.deepEqual(await serviceUsers(run), [USER, OTHER]);
  calls.length = 0;
  const removed: string[] = [];
  const users = await uninstallAllUsers(installer, run, 'C:\\ProgramData\\Wirefly', async (path) => {
    // Only once every service is gone.
    assert.equal(calls.filter((call) => call.startsWith('sc.exe delete')).length, 2);
    removed.push(path);
  });
  assert.deepEqual(users, [USER, OTHER]);
  assert.deepEqual(calls, [
    'reg.exe query HKLM\\SYSTEM\\CurrentControlSet\\Services',
    `sc.exe query ${NAME}`,
    `sc.exe stop ${NAME}`,
    `sc.exe query ${NAME}`,
    `sc.exe delete ${NAME}`,
    `sc.exe query WireflyHelper-${OTHER}`,
    `sc.exe delete WireflyHelper-${OTHER}`,
  ]);
  assert.deepEqual(removed, ['C:\\ProgramData\\Wirefly']);
  assert.equal(win32StateRoot('D:\\Data'), 'D:\\Data\\Wirefly');
});

test('a service that will not stop keeps the state folders, and the others are removed all the same', async () => {
  const { run, calls, installer } = recording(['RUNNING', 'RUNNING', 'STOPPED'], { [`sc.exe stop ${NAME}`]: 5 }, [
    `WireflyHelper-${USER}`,
    `WireflyHelper-${OTHER}`,
  ]);
  let removed = false;
  await assert.rejects(
    uninstallAllUsers(installer, run, 'C:\\ProgramData\\Wirefly', async () => {
      removed = true;
    }),
    (error: Error) => /left C:\\ProgramData\\Wirefly in place/.test(error.message) && error.message.includes(NAME),
  );
  assert.equal(removed, false);
  assert.ok(calls.includes(`sc.exe delete WireflyHelper-${OTHER}`), calls.join('\n'));
});

test('--all-users is refused outside Windows with a clear error', async (t) => {
  const written: string[] = [];
  t.mock.method(process.stderr, 'write', (text: string) => written.push(text));
  let ran = false;
  const uninstallAll = async () => {
    ran = true;
    return [];
  };
  assert.equal(await runUninstallAllUsers('linux', uninstallAll), 1);
  assert.equal(ran, false);
  assert.match(written.join(''), /--all-users is for Windows/);
  assert.match(SERVICE_USAGE, /uninstall-service .*--all-users/);
});

test('the state tree is deleted without following a link out of it', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'wirefly-tree-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const outside = join(base, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'keep.conf'), 'PrivateKey = elsewhere\n');
  const root = join(base, 'Wirefly');
  mkdirSync(join(root, USER, 'boot'), { recursive: true });
  writeFileSync(join(root, USER, 'boot', 'wg0.conf'), 'PrivateKey = x\n');
  writeFileSync(join(root, 'helper.json'), '{}');
  // Wine 8 makes neither symbolic links nor junctions (ENOTSUP): there the links are left out.
  if (process.platform !== 'win32') {
    symlinkSync(outside, join(root, USER, 'link'), 'dir');
    symlinkSync(join(outside, 'keep.conf'), join(root, 'file-link'));
  }
  await removeTree(root);
  assert.equal(existsSync(root), false);
  assert.equal(readFileSync(join(outside, 'keep.conf'), 'utf8'), 'PrivateKey = elsewhere\n');
  await removeTree(root);
});

test('the UAPI pipe gets SYSTEM and Administrators, and a high mandatory label refusing lower integrity', async (t) => {
  const set: string[] = [];
  const control = win32ControlEndpoint((_path, sddl) => set.push(sddl));
  const directory = mkdtempSync(join(tmpdir(), 'wirefly-uapi-'));
  const server = createServer((socket) => socket.end());
  t.after(() => {
    server.close();
    rmSync(directory, { recursive: true, force: true });
  });
  // Checked is the descriptor handed to the setter; a Unix socket stands in for the pipe off Windows.
  const path = process.platform === 'win32' ? `\\\\.\\pipe\\wirefly-uapi-${process.pid}` : join(directory, 'wg0.sock');
  await control.listenPrivately(server, path);
  assert.deepEqual(set, ['D:P(A;;GA;;;SY)(A;;GA;;;BA)S:(ML;;NWNRNX;;;HI)']);
  assert.equal(UAPI_PIPE_SDDL, set[0]);
});
