import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HelperState, TunnelSummary } from '../../app/src/api/wirefly-api.js';
import { trayModel } from '../../app/src/tray/tray-model.js';
import type { TrayItem } from '../../app/src/tray/tray-model.js';
import { tunnelNotifications } from '../../app/src/tray/tunnel-notifications.js';

const running: HelperState = { status: 'running', version: '0.1.0' };

function tunnel(name: string, state: TunnelSummary['state'], error?: string): TunnelSummary {
  return { name, state, killSwitch: false, connectAtBoot: false, owned: true, ...(error ? { error } : {}) };
}

const FIXED_TAIL: TrayItem[] = [
  { kind: 'separator' },
  { kind: 'action', action: 'manage', label: 'Manage tunnels…' },
  { kind: 'action', action: 'import', label: 'Import tunnel(s) from file…' },
  { kind: 'separator' },
  { kind: 'action', action: 'quit', label: 'Quit' },
];

test('no tunnels: a note, the actions, the disconnected icon', () => {
  assert.deepEqual(trayModel([], running), {
    icon: 'disconnected',
    tooltip: 'Wirefly: disconnected',
    items: [{ kind: 'note', label: 'No tunnels yet' }, ...FIXED_TAIL],
  });
});

test('every tunnel is a checkmark toggle; the icon shows whether any is connected', () => {
  const model = trayModel(
    [tunnel('home', 'active'), tunnel('work', 'inactive'), tunnel('lab', 'error', 'no route')],
    running,
  );
  assert.equal(model.icon, 'connected');
  assert.equal(model.tooltip, 'Wirefly: connected (home)');
  assert.deepEqual(model.items, [
    { kind: 'tunnel', name: 'home', label: 'home', checked: true, enabled: true },
    { kind: 'tunnel', name: 'work', label: 'work', checked: false, enabled: true },
    { kind: 'tunnel', name: 'lab', label: 'lab (failed)', checked: false, enabled: true },
    ...FIXED_TAIL,
  ]);
});

test('tunnels on their way up or down cannot be toggled until they get there', () => {
  const model = trayModel([tunnel('a', 'activating'), tunnel('b', 'deactivating')], running);
  assert.equal(model.icon, 'disconnected');
  assert.deepEqual(model.items.slice(0, 2), [
    { kind: 'tunnel', name: 'a', label: 'a (connecting…)', checked: true, enabled: false },
    { kind: 'tunnel', name: 'b', label: 'b (disconnecting…)', checked: false, enabled: false },
  ]);
});

test('with an incompatible helper nothing can be toggled and the tooltip says why', () => {
  const model = trayModel([tunnel('a', 'inactive')], { status: 'incompatible', helperVersion: '2', appVersion: '1' });
  assert.equal(model.tooltip, 'Wirefly: the helper needs updating');
  assert.deepEqual(model.items[0], { kind: 'tunnel', name: 'a', label: 'a', checked: false, enabled: false });
});

test('a stopped helper still lets the user toggle (activating starts it)', () => {
  const model = trayModel([tunnel('a', 'inactive')], { status: 'not-running' });
  assert.deepEqual(model.items[0], { kind: 'tunnel', name: 'a', label: 'a', checked: false, enabled: true });
});

test('notifications for connected, disconnected and failed, and none for the steps between', () => {
  const before = [tunnel('a', 'activating'), tunnel('b', 'active'), tunnel('c', 'activating'), tunnel('d', 'inactive')];
  const after = [
    tunnel('a', 'active'),
    tunnel('b', 'inactive'),
    tunnel('c', 'error', 'handshake did not complete'),
    tunnel('d', 'activating'),
  ];
  assert.deepEqual(
    tunnelNotifications(before, after).map(({ tunnel: name, title, body }) => [name, title, body]),
    [
      ['a', 'a connected', 'Traffic for this tunnel now goes through WireGuard.'],
      ['b', 'b disconnected', 'The tunnel is down.'],
      ['c', 'c failed', 'handshake did not complete'],
    ],
  );
  assert.deepEqual(tunnelNotifications(after, after), []);
});
