// The Windows service registration through a recording runner (sc.exe and
// reg.exe are Windows'), the command line quoted as Windows reads it back, and
// the session's user found through a recording session binding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandFailed, type CommandRunner } from '../../helper/src/os/command.js';
import { quoteArgument, serviceName, win32ServiceInstaller } from '../../helper/src/os/win32/service-installer.js';
import { parseServiceArguments, SERVICE_USAGE } from '../../helper/src/cli/wirefly-helper.js';
import { sessionUserSid, SID_TYPE_USER, type SessionAccountApi } from '../../helper/src/os/win32/session-user.js';

const USER = 'S-1-5-21-3623811015-3361044348-30300820-1013';
const NAME = `WireflyHelper-${USER}`;

/** sc.exe and reg.exe as recorded calls; `states` are what successive `sc.exe query` calls find (undefined: no service). */
function recording(states: (string | undefined)[] = [undefined], failures: Record<string, number> = {}) {
  const calls: string[] = [];
  const run: CommandRunner = async (argv) => {
    const text = argv.join(' ');
    calls.push(text);
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
    `sc.exe create ${NAME} binPath= ${BIN_PATH} start= auto obj= LocalSystem DisplayName= Wirefly helper`,
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
