// The factory in os/platform.ts and the Linux platform's parts that run no
// system tool of their own: the right implementations for each OS name, and
// systemd's service commands through a recording runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { platformFor } from '../../helper/src/os/platform.js';
import { linuxPlatform, type CommandRunner } from '../../helper/src/os/linux/index.js';
import { CommandFailed } from '../../helper/src/os/command.js';

test('the factory gives each OS its own implementations and refuses one it has none for', () => {
  assert.equal(platformFor('linux').name, 'linux');
  assert.throws(() => platformFor('aix'), /does not support aix/);
});

test('Linux: the helper and wg(8) addresses, where the app, the CLI and wg look', () => {
  const { control } = platformFor('linux');
  assert.equal(control.helperAddress('1000'), '/run/wirefly/1000/helper.sock');
  assert.equal(control.uapiAddress('wg0'), '/var/run/wireguard/wg0.sock');
  assert.throws(() => control.helperAddress('S-1-5-18'), /not a numeric uid/);
});

test('Linux: the service is the user instance of the systemd template; removing an absent one succeeds', async () => {
  const calls: string[] = [];
  let missing = false;
  const run: CommandRunner = async (argv) => {
    calls.push(argv.join(' '));
    if (missing)
      throw new CommandFailed(argv, 1, 'Failed to disable unit: Unit file wirefly-helper@1000.service does not exist.');
    return '';
  };
  const { service } = linuxPlatform(run);
  await service.install({ user: '1000' });
  await service.uninstall({ user: '1000' });
  missing = true;
  await service.uninstall({ user: '1000' });
  assert.deepEqual(calls, [
    'systemctl enable --now wirefly-helper@1000.service',
    'systemctl disable --now wirefly-helper@1000.service',
    'systemctl disable --now wirefly-helper@1000.service',
  ]);
  await assert.rejects(service.install({ user: '1000; reboot' }), /not a numeric uid/);
});
