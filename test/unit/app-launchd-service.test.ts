// The app's side of the macOS helper daemon: when it can be installed, the
// one command the password prompt runs for it, and for a signed build the
// SMAppService calls instead (a fake records them), unless the bundle is not
// root's (a fake file system tells its owners).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVAL_NEEDED, launchdHelperService } from '../../app/src/helper-client/launchd-service.js';
import {
  SMAppServiceStatus,
  type ServiceManagement,
  type SMDaemonService,
} from '../../app/src/helper-client/service-management.js';
import type { SudoExec } from '../../app/src/helper-client/start-helper.js';
import { APP, ELECTRON as NODE, FakeCodeFiles, HELPER_SCRIPT as HELPER, ME, STAFF } from './support/code-files-fake.js';

/** The password prompt, answered at once: what it was asked to run. */
function recordingExec() {
  const commands: { command: string; env: unknown }[] = [];
  const exec = ((command: string, options: { env: unknown }, callback: (error?: Error) => void) => {
    commands.push({ command, env: options.env });
    callback();
  }) as unknown as SudoExec;
  return { exec, commands };
}

function mac(nodePath: string, existing: readonly string[] = [], files = FakeCodeFiles.mac()) {
  const { exec, commands } = recordingExec();
  const service = launchdHelperService({
    launch: { nodePath, helperScript: HELPER, uid: 501 },
    fileExists: (path) => existing.includes(path),
    exec,
    files,
  });
  return { service, commands };
}

const PER_USER = '/Library/LaunchDaemons/org.wirefly.helper.501.plist';
const ROOTS = `/usr/sbin/chown -R root:wheel '${APP}' && /bin/chmod -R -N '${APP}' && /bin/chmod -R go-w '${APP}'`;

test('installable from /Applications, installed once the plist is there, unavailable elsewhere', async () => {
  assert.deepEqual(await mac(NODE).service.probe(), { kind: 'installable' });
  assert.deepEqual(await mac(NODE, [PER_USER]).service.probe(), { kind: 'installed' });
  const elsewhere = mac('/Users/me/Downloads/Wirefly.app/Contents/MacOS/Wirefly');
  assert.equal((await elsewhere.service.probe()).kind, 'unavailable');
  await assert.rejects(elsewhere.service.install(true), /needs Wirefly\.app in \/Applications/);
  assert.deepEqual(elsewhere.commands, []);
});

test('an installed daemon whose bundle a user-owned copy replaced is installable again, and says why', async () => {
  const files = FakeCodeFiles.mac();
  files.chown(APP, { uid: ME, gid: STAFF });
  const { service, commands } = mac(NODE, [PER_USER], files);
  const probed = await service.probe();
  assert.equal(probed.kind, 'installable');
  assert.match(
    (probed as { reason: string }).reason,
    new RegExp(
      `^the installed helper service will not start while Wirefly\\.app is not root's alone \\(${APP} belongs to uid 501`,
    ),
  );
  await service.install(true);
  assert.ok(commands[0]!.command.startsWith(ROOTS));
  files.chown(APP, { uid: 0, gid: 0 });
  assert.deepEqual(await service.probe(), { kind: 'installed' });
});

test('one password prompt: the bundle made root, then the helper installs its daemon (now, or for the next boot)', async () => {
  const { service, commands } = mac(NODE);
  await service.install(true);
  await service.install(false);
  await service.start();
  assert.deepEqual(commands, [
    {
      command: `${ROOTS} && '${NODE}' '${HELPER}' 'install-service' '--user' '501'`,
      env: { ELECTRON_RUN_AS_NODE: '1' },
    },
    {
      command: `${ROOTS} && '${NODE}' '${HELPER}' 'install-service' '--user' '501' --at-next-boot`,
      env: { ELECTRON_RUN_AS_NODE: '1' },
    },
    {
      command: `/bin/launchctl bootstrap system '${PER_USER}' 2>/dev/null; /bin/launchctl kickstart system/org.wirefly.helper.501`,
      env: { ELECTRON_RUN_AS_NODE: '1' },
    },
  ]);
});

// ---- signed builds: SMAppService ----

const BUNDLED = `${APP}/Contents/Library/LaunchDaemons/org.wirefly.helper.plist`;

/** SMAppService as macOS answers it: `statuses` are what status() returns, one per call, the last one kept. */
class FakeServiceManagement implements ServiceManagement {
  readonly calls: string[] = [];
  registerError: Error | undefined;

  constructor(private readonly statuses: number[]) {}

  daemon(plistName: string): SMDaemonService {
    this.calls.push(`daemon ${plistName}`);
    return {
      status: () => {
        this.calls.push('status');
        return this.statuses.length > 1 ? this.statuses.shift()! : this.statuses[0]!;
      },
      register: () => {
        this.calls.push('register');
        if (this.registerError) throw this.registerError;
      },
      unregister: () => void this.calls.push('unregister'),
    };
  }

  openSystemSettingsLoginItems(): void {
    this.calls.push('openSystemSettingsLoginItems');
  }
}

function signedMac(options: {
  signed: boolean;
  bundled: boolean;
  statuses?: number[];
  perUser?: boolean;
  files?: FakeCodeFiles;
}) {
  const management = new FakeServiceManagement(options.statuses ?? [SMAppServiceStatus.NotRegistered]);
  const verified: string[] = [];
  const { exec, commands } = recordingExec();
  const service = launchdHelperService({
    launch: { nodePath: NODE, helperScript: HELPER, uid: 501 },
    fileExists: (path) => (options.bundled && path === BUNDLED) || (options.perUser === true && path === PER_USER),
    exec,
    files: options.files ?? FakeCodeFiles.mac(),
    verifySignature: async (bundle) => {
      verified.push(bundle);
      return options.signed;
    },
    serviceManagement: () => management,
  });
  return { service, management, verified, prompts: () => commands.map(({ command }) => command) };
}

test('a signed bundle carrying the daemon plist registers with SMAppService; any other build uses the password prompt', async () => {
  const signed = signedMac({ signed: true, bundled: true });
  assert.deepEqual(await signed.service.probe(), { kind: 'installable' });
  await signed.service.install(true);
  assert.deepEqual(signed.verified, [APP]);
  assert.deepEqual(signed.management.calls.slice(0, 1), ['daemon org.wirefly.helper.plist']);
  assert.ok(signed.management.calls.includes('register'));
  assert.deepEqual(signed.prompts(), []);

  for (const build of [
    { signed: false, bundled: true },
    { signed: true, bundled: false },
  ]) {
    const other = signedMac(build);
    assert.deepEqual(await other.service.probe(), { kind: 'installable' });
    await other.service.install(true);
    assert.deepEqual(other.management.calls, [], JSON.stringify(build));
    assert.equal(other.prompts().length, 1);
    assert.match(other.prompts()[0]!, /'install-service' '--user' '501'$/);
  }
  // Without the plist in the bundle, the signature is not even checked.
  assert.deepEqual(signedMac({ signed: true, bundled: false }).verified, []);

  // Before macOS 13 there is no SMAppService: a signed build asks for the password too.
  const prompt = recordingExec();
  const monterey = launchdHelperService({
    launch: { nodePath: NODE, helperScript: HELPER, uid: 501 },
    files: FakeCodeFiles.mac(),
    fileExists: (path) => path === BUNDLED,
    exec: prompt.exec,
    verifySignature: async () => true,
    serviceManagement: () => undefined,
  });
  await monterey.install(true);
  assert.equal(prompt.commands.length, 1);
  assert.match(prompt.commands[0]!.command, /'install-service' '--user' '501'$/);

  // A daemon the password prompt installed for this user keeps serving: two would race for one socket.
  const upgraded = signedMac({ signed: true, bundled: true, perUser: true });
  assert.deepEqual(await upgraded.service.probe(), { kind: 'installed' });
  await upgraded.service.start();
  assert.deepEqual(upgraded.management.calls, []);
  assert.match(upgraded.prompts()[0]!, /kickstart system\/org\.wirefly\.helper\.501$/);
});

test("a signed bundle the Finder copied (not root's) takes the password prompt, which makes it root, and says why", async () => {
  const files = FakeCodeFiles.mac();
  files.chown(APP, { uid: ME, gid: STAFF });
  const copy = signedMac({ signed: true, bundled: true, files });
  const probed = await copy.service.probe();
  assert.equal(probed.kind, 'installable');
  assert.match(
    (probed as { reason: string }).reason,
    new RegExp(`^this copy of Wirefly\\.app is not root's alone \\(${APP} belongs to uid 501, not root; the Finder`),
  );
  await copy.service.install(true);
  assert.equal(copy.management.calls.includes('register'), false);
  assert.deepEqual(copy.prompts(), [`${ROOTS} && '${NODE}' '${HELPER}' 'install-service' '--user' '501'`]);

  // One such copy registered before this check existed is unregistered first: two daemons would race.
  for (const status of [SMAppServiceStatus.Enabled, SMAppServiceStatus.RequiresApproval]) {
    const registered = signedMac({ signed: true, bundled: true, files, statuses: [status] });
    await registered.service.install(true);
    assert.deepEqual(registered.management.calls, ['daemon org.wirefly.helper.plist', 'status', 'unregister']);
    assert.equal(registered.prompts().length, 1);
  }
  // The same bundle root's (as the .pkg installs it) registers with SMAppService, no password.
  files.chown(APP, { uid: 0, gid: 0 });
  const rootOwned = signedMac({ signed: true, bundled: true, files });
  await rootOwned.service.install(true);
  assert.ok(rootOwned.management.calls.includes('register'));
  assert.deepEqual(rootOwned.prompts(), []);
});

test('the signature is checked once per run, and not at all for a copy outside /Applications', async () => {
  const { service, verified } = signedMac({ signed: true, bundled: true });
  await service.probe();
  await service.probe();
  await service.install(true);
  assert.deepEqual(verified, [APP]);

  let asked = false;
  const elsewhere = launchdHelperService({
    launch: { nodePath: '/Users/me/Downloads/Wirefly.app/Contents/MacOS/Wirefly', helperScript: HELPER, uid: 501 },
    fileExists: () => true,
    verifySignature: async () => (asked = true),
    serviceManagement: () => new FakeServiceManagement([SMAppServiceStatus.Enabled]),
  });
  assert.equal((await elsewhere.probe()).kind, 'unavailable');
  await assert.rejects(elsewhere.start(), /needs Wirefly\.app in \/Applications/);
  assert.equal(asked, false);
});

test('each SMAppServiceStatus as the UI sees it', async () => {
  // ServiceManagement/SMAppService.h: NotRegistered = 0, Enabled = 1, RequiresApproval = 2, NotFound = 3 (an NSInteger).
  assert.deepEqual(SMAppServiceStatus, { NotRegistered: 0, Enabled: 1, RequiresApproval: 2, NotFound: 3 });
  const seen = async (status: number) => signedMac({ signed: true, bundled: true, statuses: [status] }).service.probe();
  assert.deepEqual(await seen(0), { kind: 'installable' });
  assert.deepEqual(await seen(1), { kind: 'installed' });
  assert.deepEqual(await seen(2), { kind: 'requires-approval' });
  // A daemon never registered reports NotFound too; registering it is what finds out.
  assert.deepEqual(await seen(3), { kind: 'installable' });
});

test('install registers the daemon; one left awaiting approval opens Login Items and says so', async () => {
  const enabled = signedMac({ signed: true, bundled: true, statuses: [0, 1] });
  await enabled.service.install(false);
  assert.deepEqual(enabled.management.calls, ['daemon org.wirefly.helper.plist', 'status', 'register', 'status']);

  const approval = signedMac({ signed: true, bundled: true, statuses: [0, 2] });
  await assert.rejects(approval.service.install(true), { message: APPROVAL_NEEDED });
  assert.deepEqual(approval.management.calls.slice(-3), ['register', 'status', 'openSystemSettingsLoginItems']);

  // Registering one that awaits approval fails, and is no other failure.
  const refused = signedMac({ signed: true, bundled: true, statuses: [0, 2] });
  refused.management.registerError = new Error('Operation not permitted');
  await assert.rejects(refused.service.install(true), { message: APPROVAL_NEEDED });
  assert.equal(refused.management.calls.at(-1), 'openSystemSettingsLoginItems');

  const waiting = signedMac({ signed: true, bundled: true, statuses: [2] });
  await assert.rejects(waiting.service.install(true), { message: APPROVAL_NEEDED });
  assert.deepEqual(waiting.management.calls, [
    'daemon org.wirefly.helper.plist',
    'status',
    'openSystemSettingsLoginItems',
  ]);
});

test("a registration that fails for another reason is the caller's error, and Login Items stay closed", async () => {
  const broken = signedMac({ signed: true, bundled: true, statuses: [0] });
  broken.management.registerError = new Error('Invalid or missing Program/ProgramArguments');
  await assert.rejects(broken.service.install(true), /Invalid or missing Program/);
  assert.equal(broken.management.calls.includes('openSystemSettingsLoginItems'), false);
  assert.deepEqual(broken.prompts(), []);
});

test('start registers the daemon anew, which launchd starts at load, with no password', async () => {
  const { service, management, prompts } = signedMac({ signed: true, bundled: true, statuses: [1] });
  await service.start();
  assert.deepEqual(management.calls, ['daemon org.wirefly.helper.plist', 'unregister', 'register']);
  assert.deepEqual(prompts(), []);
});
