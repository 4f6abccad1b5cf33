// The app's side of the macOS helper daemon: when it can be installed, the
// one command the password prompt runs for it, and for a signed build the
// SMAppService calls instead (a fake records them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVAL_NEEDED, appBundleOf, launchdHelperService } from '../../app/src/helper-client/launchd-service.js';
import {
  SMAppServiceStatus,
  type ServiceManagement,
  type SMDaemonService,
} from '../../app/src/helper-client/service-management.js';
import type { SudoExec } from '../../app/src/helper-client/start-helper.js';

const APP = '/Applications/Wirefly.app';
const NODE = `${APP}/Contents/MacOS/Wirefly`;
const HELPER = `${APP}/Contents/Resources/app.asar.unpacked/helper/bin/wirefly-helper`;

/** The password prompt, answered at once: what it was asked to run. */
function recordingExec() {
  const commands: { command: string; env: unknown }[] = [];
  const exec = ((command: string, options: { env: unknown }, callback: (error?: Error) => void) => {
    commands.push({ command, env: options.env });
    callback();
  }) as unknown as SudoExec;
  return { exec, commands };
}

function mac(nodePath: string, files: readonly string[] = []) {
  const { exec, commands } = recordingExec();
  const service = launchdHelperService({
    launch: { nodePath, helperScript: HELPER, uid: 501 },
    fileExists: (path) => files.includes(path),
    exec,
  });
  return { service, commands };
}

test('the bundle of the running app, when there is one', () => {
  assert.equal(appBundleOf(NODE), APP);
  assert.equal(appBundleOf('/usr/local/bin/node'), undefined);
  assert.equal(
    appBundleOf('/Users/me/Downloads/Wirefly.app/Contents/MacOS/Wirefly'),
    '/Users/me/Downloads/Wirefly.app',
  );
});

test('installable from /Applications, installed once the plist is there, unavailable elsewhere', async () => {
  assert.deepEqual(await mac(NODE).service.probe(), { kind: 'installable' });
  assert.deepEqual(await mac(NODE, ['/Library/LaunchDaemons/org.wirefly.helper.501.plist']).service.probe(), {
    kind: 'installed',
  });
  const elsewhere = mac('/Users/me/Downloads/Wirefly.app/Contents/MacOS/Wirefly');
  assert.equal((await elsewhere.service.probe()).kind, 'unavailable');
  await assert.rejects(elsewhere.service.install(true), /needs Wirefly\.app in \/Applications/);
  assert.deepEqual(elsewhere.commands, []);
});

test('one password prompt: the bundle made root, then the helper installs its daemon (now, or for the next boot)', async () => {
  const { service, commands } = mac(NODE);
  await service.install(true);
  await service.install(false);
  await service.start();
  assert.deepEqual(commands, [
    {
      command: `/usr/sbin/chown -R root:wheel '${APP}' && /bin/chmod -R go-w '${APP}' && '${NODE}' '${HELPER}' 'install-service' '--user' '501'`,
      env: { ELECTRON_RUN_AS_NODE: '1' },
    },
    {
      command: `/usr/sbin/chown -R root:wheel '${APP}' && /bin/chmod -R go-w '${APP}' && '${NODE}' '${HELPER}' 'install-service' '--user' '501' --at-next-boot`,
      env: { ELECTRON_RUN_AS_NODE: '1' },
    },
    {
      command: `/bin/launchctl bootstrap system '/Library/LaunchDaemons/org.wirefly.helper.501.plist' 2>/dev/null; /bin/launchctl kickstart system/org.wirefly.helper.501`,
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

function signedMac(options: { signed: boolean; bundled: boolean; statuses?: number[]; perUser?: boolean }) {
  const management = new FakeServiceManagement(options.statuses ?? [SMAppServiceStatus.NotRegistered]);
  const verified: string[] = [];
  const { exec, commands } = recordingExec();
  const service = launchdHelperService({
    launch: { nodePath: NODE, helperScript: HELPER, uid: 501 },
    fileExists: (path) =>
      (options.bundled && path === BUNDLED) ||
      (options.perUser === true && path === '/Library/LaunchDaemons/org.wirefly.helper.501.plist'),
    exec,
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
