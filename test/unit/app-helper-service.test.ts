import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemdHelperService } from '../../app/src/helper-client/helper-service.js';
import type { SudoExec } from '../../app/src/helper-client/start-helper.js';

function machine(files: readonly string[]) {
  const commands: string[] = [];
  const exec = ((command: string, _options: unknown, callback: (error?: Error) => void) => {
    commands.push(command);
    callback();
  }) as unknown as SudoExec;
  const service = systemdHelperService({
    uid: 1000,
    platform: 'linux',
    fileExists: (path) => files.includes(path),
    exec,
  });
  return { service, commands };
}

const SYSTEMD = '/run/systemd/system';
const PACKAGED_UNIT = '/usr/lib/systemd/system/wirefly-helper@.service';
const ENABLED = '/etc/systemd/system/multi-user.target.wants/wirefly-helper@1000.service';

test('the service is offered only where systemd runs and the package installed the unit', async () => {
  assert.deepEqual(await machine([]).service.probe(), {
    kind: 'unavailable',
    reason: 'this system does not run systemd.',
  });
  assert.match(
    ((await machine([SYSTEMD]).service.probe()) as { reason: string }).reason,
    /comes with the Wirefly package/,
  );
  assert.deepEqual(await machine([SYSTEMD, PACKAGED_UNIT]).service.probe(), { kind: 'installable' });
  assert.deepEqual(await machine([SYSTEMD, '/lib/systemd/system/wirefly-helper@.service']).service.probe(), {
    kind: 'installable',
  });
  assert.deepEqual(await machine([SYSTEMD, PACKAGED_UNIT, ENABLED]).service.probe(), { kind: 'installed' });
  const mac = systemdHelperService({ uid: 501, platform: 'darwin', fileExists: () => true });
  assert.equal((await mac.probe()).kind, 'unavailable');
});

test("installing enables and starts this user's instance through one prompt; starting starts it", async () => {
  const { service, commands } = machine([SYSTEMD, PACKAGED_UNIT]);
  await service.install(true);
  await service.start();
  await service.install(false);
  assert.deepEqual(commands, [
    'systemctl enable --now wirefly-helper@1000.service',
    'systemctl start wirefly-helper@1000.service',
    'systemctl enable wirefly-helper@1000.service',
  ]);
  const nowhere = machine([SYSTEMD]);
  await assert.rejects(
    nowhere.service.install(true),
    /cannot be installed: the helper service comes with the Wirefly package/,
  );
  assert.deepEqual(nowhere.commands, []);
});
