// The app's side of the Windows helper service: when it can be installed, the
// one command line the UAC prompt runs for it, and its quoting for cmd.exe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandFailed, type CommandRunner } from '../../helper/src/os/command.js';
import { quoteCmd, type SudoExec } from '../../app/src/helper-client/start-helper.js';
import { windowsHelperService } from '../../app/src/helper-client/windows-service.js';

const SID = 'S-1-5-21-3623811015-3361044348-30300820-1013';
const NAME = `WireflyHelper-${SID}`;
const DIR = 'C:\\Program Files\\Wirefly';
const EXE = `${DIR}\\Wirefly.exe`;
const HELPER = `${DIR}\\resources\\app.asar.unpacked\\helper\\bin\\wirefly-helper`;
const ENV = { ProgramFiles: 'C:\\Program Files', 'ProgramFiles(x86)': 'C:\\Program Files (x86)' };

function windows(options: { installed?: boolean; writable?: boolean; nodePath?: string; helperScript?: string } = {}) {
  const queries: string[] = [];
  const elevated: { command: string; env: unknown }[] = [];
  const run: CommandRunner = async (argv) => {
    queries.push(argv.join(' '));
    if (!options.installed) throw new CommandFailed(argv, 1060, '');
    return `SERVICE_NAME: ${argv[2]}\n        STATE              : 1  STOPPED\n`;
  };
  const exec = ((command: string, opts: { env: unknown }, callback: (error?: Error) => void) => {
    elevated.push({ command, env: opts.env });
    callback();
  }) as unknown as SudoExec;
  const service = windowsHelperService({
    nodePath: options.nodePath ?? EXE,
    helperScript: options.helperScript ?? HELPER,
    userSid: SID,
    env: ENV,
    run,
    userCanWrite: () => options.writable ?? false,
    exec,
  });
  return { service, queries, elevated };
}

test('installed once the service manager knows this user’s service, wherever the app runs from', async () => {
  const { service, queries } = windows({ installed: true, nodePath: 'C:\\Users\\me\\Wirefly\\Wirefly.exe' });
  assert.deepEqual(await service.probe(), { kind: 'installed' });
  assert.deepEqual(queries, [`sc.exe query ${NAME}`]);
});

test('installable from Program Files when this user cannot write there', async () => {
  assert.deepEqual(await windows().service.probe(), { kind: 'installable' });
  const x86 = 'C:\\Program Files (x86)\\Wirefly';
  assert.deepEqual(
    await windows({ nodePath: `${x86}\\Wirefly.exe`, helperScript: `${x86}\\resources\\h` }).service.probe(),
    { kind: 'installable' },
  );
});

test('unavailable, refusing to install, for a copy the user could change', async () => {
  const cases = [
    [{ writable: true }, /this user can change the files in C:\\Program Files\\Wirefly/],
    [{ nodePath: 'C:\\Users\\me\\AppData\\Local\\Programs\\Wirefly\\Wirefly.exe' }, /installed for all users/],
    [{ nodePath: 'C:\\Program Files Evil\\Wirefly.exe' }, /installed for all users/],
    [
      { nodePath: 'C:\\Program Files\\Wirefly.exe', helperScript: 'C:\\dev\\wirefly-helper' },
      /installed for all users/,
    ],
  ] as const;
  for (const [options, reason] of cases) {
    const { service, elevated } = windows(options);
    const probed = await service.probe();
    assert.equal(probed.kind, 'unavailable', JSON.stringify(options));
    assert.match(probed.kind === 'unavailable' ? probed.reason : '', reason);
    await assert.rejects(service.install(true), reason);
    assert.deepEqual(elevated, []);
  }
});

test('one UAC prompt: the helper installs its service for this SID (now, or for the next boot); start is sc start', async () => {
  const { service, elevated } = windows();
  await service.install(true);
  await service.install(false);
  await service.start();
  const helper = `"${EXE}" "${HELPER}" install-service --user ${SID}`;
  assert.deepEqual(elevated, [
    { command: helper, env: { ELECTRON_RUN_AS_NODE: '1' } },
    { command: `${helper} --at-next-boot`, env: { ELECTRON_RUN_AS_NODE: '1' } },
    { command: `sc.exe start ${NAME}`, env: {} },
  ]);
});

test('quoting for a cmd.exe batch line: CommandLineToArgvW rules, then % and cmd’s own characters outside its quotes', () => {
  assert.equal(quoteCmd('install-service'), 'install-service');
  assert.equal(quoteCmd('C:\\Program Files\\Wirefly\\Wirefly.exe'), '"C:\\Program Files\\Wirefly\\Wirefly.exe"');
  assert.equal(quoteCmd(''), '""');
  assert.equal(quoteCmd('C:\\A & B (x)\\100%\\a.exe'), '"C:\\A & B (x)\\100%%\\a.exe"');
  assert.equal(quoteCmd('a&b'), 'a^&b');
  // cmd.exe sees the \" as the end of its quotes: the & after it needs its caret.
  assert.equal(quoteCmd('a"b&c'), '"a\\"b^&c"');
  assert.equal(quoteCmd('say "hi" & go'), '"say \\"hi\\" & go"');
  assert.equal(quoteCmd('C:\\dir with space\\'), '"C:\\dir with space\\\\"');
  assert.equal(quoteCmd('%PATH%|x'), '%%PATH%%^|x');
  assert.throws(() => quoteCmd('a\nb'), /cannot carry/);
});
