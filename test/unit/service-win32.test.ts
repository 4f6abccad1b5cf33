// The Windows service registration through a recording runner (sc.exe and
// reg.exe are Windows'), and the command line quoted as Windows reads it back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandFailed, type CommandRunner } from '../../helper/src/os/command.js';
import { quoteArgument, serviceName, win32ServiceInstaller } from '../../helper/src/os/win32/service-installer.js';
import { parseServiceArguments } from '../../helper/src/cli/wirefly-helper.js';

const USER = 'S-1-5-21-3623811015-3361044348-30300820-1013';
const NAME = `WireflyHelper-${USER}`;

function recording(failures: Record<string, number> = {}): { run: CommandRunner; calls: string[] } {
  const calls: string[] = [];
  const run: CommandRunner = async (argv) => {
    const text = argv.join(' ');
    calls.push(text);
    const code = Object.entries(failures).find(([prefix]) => text.startsWith(prefix))?.[1];
    if (code !== undefined) throw new CommandFailed(argv, code, `[SC] failed ${code}`);
    return '';
  };
  return { run, calls };
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
  const { run, calls } = recording();
  await win32ServiceInstaller(run).install({ user: USER, command: COMMAND });
  assert.deepEqual(calls, [
    `sc.exe create ${NAME} binPath= ${BIN_PATH} start= auto obj= LocalSystem DisplayName= Wirefly helper`,
    `sc.exe description ${NAME} Brings up Wirefly tunnels for one user`,
    `sc.exe failure ${NAME} reset= 86400 actions= restart/5000/restart/5000/restart/30000`,
    `reg.exe add HKLM\\SYSTEM\\CurrentControlSet\\Services\\${NAME} /v Environment /t REG_MULTI_SZ /d ELECTRON_RUN_AS_NODE=1 /f`,
    `sc.exe start ${NAME}`,
  ]);
});

test('installing again updates the service; removing an absent or stopped one succeeds; other failures are errors', async () => {
  const again = recording({ 'sc.exe create': 1073 });
  await win32ServiceInstaller(again.run).install({ user: USER, command: COMMAND });
  assert.equal(again.calls[1], `sc.exe config ${NAME} binPath= ${BIN_PATH} start= auto obj= LocalSystem`);
  const absent = recording({ 'sc.exe stop': 1060, 'sc.exe delete': 1060 });
  await win32ServiceInstaller(absent.run).uninstall({ user: USER });
  assert.deepEqual(absent.calls, [`sc.exe stop ${NAME}`, `sc.exe delete ${NAME}`]);
  const denied = recording({ 'sc.exe stop': 5 });
  await assert.rejects(win32ServiceInstaller(denied.run).uninstall({ user: USER }), CommandFailed);
  await assert.rejects(win32ServiceInstaller(recording().run).install({ user: USER }), /needs the helper command line/);
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
