// The service definitions in packaging/ agree with what `wirefly-helper serve`
// takes and with where the app and the CLI look: one socket and state
// directory per user, on every OS. The systemd unit is also verified by
// systemd-analyze once installed (test/packaging/install.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../app/src/app-paths.js';
import { currentUserHelperAddress, defaultHelperSocket } from '../../helper/src/client/helper-address.js';
import { helperSocketPath } from '../../helper/src/rpc/index.js';
import { BUNDLED_DAEMON } from '../../app/src/helper-client/launchd-service.js';
import {
  CONSOLE_USER,
  defaultStateDirectory,
  parseServeArguments,
  type ServeOptions,
} from '../../helper/src/service/serve.js';

const packaging = join(packageRoot(), 'packaging');

function serviceSetting(unit: string, key: string): string[] {
  return unit
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

/** The serve options a unit instance's ExecStart gives. */
function instanceOptions(unit: string, uid: number): ServeOptions {
  const [execStart] = serviceSetting(unit, 'ExecStart');
  const argv = execStart!.replaceAll('%i', String(uid)).split(' ');
  const options = parseServeArguments(argv.slice(argv.indexOf('serve') + 1), 'linux');
  assert.ok(typeof options !== 'string', options as string);
  return options;
}

test('the systemd template gives each uid its own socket and state, where the app and CLI look', () => {
  const unit = readFileSync(join(packaging, 'linux', 'wirefly-helper@.service'), 'utf8');
  for (const uid of [1000, 1001]) {
    const options = instanceOptions(unit, uid);
    assert.equal(options.user, String(uid));
    assert.equal(options.socketPath, helperSocketPath(uid, 'linux'));
    assert.equal(options.stateDirectory, defaultStateDirectory(String(uid)));
    assert.equal(defaultHelperSocket({}, uid, 'linux'), options.socketPath);
  }
  assert.notEqual(instanceOptions(unit, 1000).socketPath, instanceOptions(unit, 1001).socketPath);
  // systemd removes a RuntimeDirectory when its unit stops: shared by all instances, one stopping would take the others' sockets.
  assert.deepEqual(serviceSetting(unit, 'RuntimeDirectory'), ['wirefly/%i']);
  assert.deepEqual(serviceSetting(unit, 'StateDirectory'), ['wirefly/%i']);
  // "full" makes /etc read-only, and the resolv.conf fallback writes /etc/resolv.conf.
  assert.deepEqual(serviceSetting(unit, 'ProtectSystem'), ['yes']);
  assert.deepEqual(serviceSetting(unit, 'Environment'), ['ELECTRON_RUN_AS_NODE=1']);
});

/** A plist as Python's plistlib reads it: a real parser, and python3 is already needed to build the addon. */
function parsePlist(path: string): Record<string, unknown> {
  const parsed = spawnSync(
    'python3',
    ['-c', 'import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], "rb"))))', path],
    { encoding: 'utf8' },
  );
  assert.equal(parsed.error, undefined, 'python3 is needed to parse the plist');
  assert.equal(parsed.status, 0, parsed.stderr);
  return JSON.parse(parsed.stdout) as Record<string, unknown>;
}

test("the launchd plist parses, and runs serve for one uid on that uid's socket", () => {
  const plist = JSON.parse(
    JSON.stringify(parsePlist(join(packaging, 'macos', 'org.wirefly.helper.plist'))).replaceAll('USER_UID', '501'),
  ) as {
    Label: string;
    ProgramArguments: string[];
    EnvironmentVariables: Record<string, string>;
    RunAtLoad: boolean;
  };
  assert.equal(plist.Label, 'org.wirefly.helper.501');
  assert.equal(plist.EnvironmentVariables['ELECTRON_RUN_AS_NODE'], '1');
  assert.equal(plist.RunAtLoad, true);
  const args = plist.ProgramArguments;
  const options = parseServeArguments(args.slice(args.indexOf('serve') + 1), 'darwin');
  assert.ok(typeof options !== 'string', options as string);
  assert.equal(options.socketPath, helperSocketPath(501, 'darwin'));
  // It starts again with no one asked: it must refuse files that are not root's.
  assert.equal(options.allowUnsafeCode, undefined);
});

test('the bundled SMAppService plist parses, runs the same helper from the bundle, and serves the console user', () => {
  const bundled = parsePlist(join(packaging, 'macos', 'LaunchDaemons', BUNDLED_DAEMON));
  const template = parsePlist(join(packaging, 'macos', 'org.wirefly.helper.plist'));
  assert.equal(bundled['Label'], 'org.wirefly.helper');
  // SMAppService runs BundleProgram relative to the bundle: the same Electron binary the template names.
  assert.equal(bundled['BundleProgram'], 'Contents/MacOS/Wirefly');
  const args = bundled['ProgramArguments'] as string[];
  const templateArgs = template['ProgramArguments'] as string[];
  assert.ok(templateArgs[0]!.endsWith(`/Wirefly.app/${bundled['BundleProgram'] as string}`));
  assert.equal(args[1], templateArgs[1]);
  assert.deepEqual(bundled['EnvironmentVariables'], { ELECTRON_RUN_AS_NODE: '1' });
  assert.equal(bundled['RunAtLoad'], true);
  assert.equal(bundled['AssociatedBundleIdentifiers'], template['AssociatedBundleIdentifiers']);
  assert.doesNotMatch(JSON.stringify(bundled), /USER_UID/);
  const options = parseServeArguments(args.slice(args.indexOf('serve') + 1), 'darwin');
  assert.ok(typeof options !== 'string', options as string);
  assert.equal(options.user, CONSOLE_USER);
  assert.equal(options.socketPath, undefined);
  // Not any user's state directory: the per-user daemons keep theirs under numeric names.
  assert.equal(options.stateDirectory, '/var/db/wirefly/console');
  assert.equal(options.allowUnsafeCode, undefined);
});

test('--user console is for macOS, takes its own state directory and no socket', () => {
  const options = parseServeArguments(['--user', 'console', '--state-dir', '/var/db/wirefly/console'], 'darwin');
  assert.ok(typeof options !== 'string', options as string);
  assert.deepEqual(options, {
    user: 'console',
    stateDirectory: '/var/db/wirefly/console',
    settingsPath: '/etc/wirefly/helper.json',
    verbose: false,
  });
  assert.match(parseServeArguments(['--user', 'console'], 'darwin') as string, /takes --state-dir and no --socket/);
  assert.match(
    parseServeArguments(['--user', 'console', '--state-dir', '/d', '--socket', '/tmp/s'], 'darwin') as string,
    /no --socket/,
  );
  assert.match(parseServeArguments(['--user', 'console', '--state-dir', '/d'], 'linux') as string, /numeric uid/);
});

test('serve takes a uid on Linux and macOS and a SID on Windows, as the service scripts pass them', () => {
  assert.match(parseServeArguments(['--user', 'S-1-5-21-1-2-3-1001'], 'linux') as string, /numeric uid/);
  assert.match(parseServeArguments(['--user', '1000'], 'win32') as string, /SID/);
  const sid = 'S-1-5-21-3623811015-3361044348-30300820-1013';
  const options = parseServeArguments(['--user', sid], 'win32');
  assert.ok(typeof options !== 'string', options as string);
  assert.equal(options.user, sid);
  assert.equal(options.socketPath, `\\\\.\\pipe\\ProtectedPrefix\\Administrators\\Wirefly\\helper-${sid}`);
  assert.equal(options.stateDirectory, `C:\\ProgramData\\Wirefly\\${sid}`);
  assert.match(parseServeArguments(['--user', '12abc'], 'linux') as string, /numeric uid/);
});

test('under sudo the CLI talks to the helper of the user who ran sudo', () => {
  assert.equal(defaultHelperSocket({ SUDO_UID: '1000' }, 0, 'linux'), '/run/wirefly/1000/helper.sock');
  assert.equal(defaultHelperSocket({ SUDO_UID: '1000' }, 1001, 'linux'), '/run/wirefly/1001/helper.sock');
  assert.equal(defaultHelperSocket({ SUDO_UID: 'x; rm' }, 0, 'linux'), '/run/wirefly/0/helper.sock');
  assert.equal(defaultHelperSocket({}, 501, 'darwin'), '/var/run/wirefly/501/helper.sock');
});

test("the app and the CLI look for this user's helper where serve puts it by default", () => {
  const uid = process.getuid!();
  const served = parseServeArguments(['--user', String(uid)], 'linux');
  assert.ok(typeof served !== 'string', served as string);
  assert.equal(currentUserHelperAddress({}, 'linux'), served.socketPath);
  assert.equal(currentUserHelperAddress({}, 'darwin'), `/var/run/wirefly/${uid}/helper.sock`);
});
