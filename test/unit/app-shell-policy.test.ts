import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_CALLS, API_SUBSCRIPTIONS, isApiCall, toApiFailure } from '../../app/src/api/api-protocol.js';
import { checkArguments } from '../../app/src/services/api-arguments.js';
import {
  APP_ENTRY_URL,
  filesToImport,
  IPC_CALL_CHANNELS,
  IPC_EVENT_CHANNELS,
  isAppUrl,
  isExternalLinkAllowed,
  RENDERER_CSP,
} from '../../app/src/electron/shell-policy.js';
import { StoreError } from '../../app/src/store/store-error.js';

test('the renderer lives at app://wirefly and nowhere else counts as the app', () => {
  assert.equal(APP_ENTRY_URL, 'app://wirefly/index.html');
  assert.equal(isAppUrl('app://wirefly/index.html'), true);
  assert.equal(isAppUrl('app://wirefly/tunnels/wg0'), true);
  for (const url of [
    'app://other/index.html',
    'file:///index.html',
    'http://127.0.0.1/',
    'https://wirefly',
    'wirefly',
    'app:wirefly',
  ]) {
    assert.equal(isAppUrl(url), false, url);
  }
});

test('only https links may open, in the system browser', () => {
  assert.equal(isExternalLinkAllowed('https://www.wireguard.com/'), true);
  for (const url of [
    'http://example.com/',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'smb://host/share',
    'not a url',
  ]) {
    assert.equal(isExternalLinkAllowed(url), false, url);
  }
});

test("the CSP allows only the app's own scripts and no connections", () => {
  const directives = new Map(RENDERER_CSP.split('; ').map((directive) => [directive.split(' ')[0], directive]));
  assert.equal(directives.get('default-src'), "default-src 'none'");
  assert.equal(directives.get('script-src'), "script-src 'self'");
  assert.equal(directives.get('connect-src'), "connect-src 'none'");
  assert.equal(directives.get('object-src'), "object-src 'none'");
  assert.doesNotMatch(RENDERER_CSP, /unsafe-eval|\*/);
});

test('one IPC channel per call and per subscription', () => {
  assert.equal(new Set(IPC_CALL_CHANNELS).size, API_CALLS.length);
  assert.equal(IPC_CALL_CHANNELS.length + IPC_EVENT_CHANNELS.length, 24);
  assert.ok(IPC_CALL_CHANNELS.includes('wirefly:call:activate'));
  assert.ok(IPC_EVENT_CHANNELS.includes('wirefly:event:onStats'));
  assert.deepEqual(API_SUBSCRIPTIONS, ['onTunnels', 'onStats', 'onLog', 'onHelperState']);
  assert.equal(isApiCall('activate'), true);
  assert.equal(isApiCall('onStats'), false);
  assert.equal(isApiCall('constructor'), false);
});

test('files to import from a command line: .conf and .zip only, no switches', () => {
  assert.deepEqual(
    filesToImport(['--inspect', '/home/u/wg0.conf', '/home/u/all.ZIP', '/home/u/notes.txt', '-psn_0_1234']),
    ['/home/u/wg0.conf', '/home/u/all.ZIP'],
  );
});

test('call arguments are checked before any service sees them', () => {
  assert.deepEqual(checkArguments('renameTunnel', ['a', 'b']), ['a', 'b']);
  assert.deepEqual(checkArguments('listTunnels', []), []);
  for (const [method, args] of [
    ['renameTunnel', ['a']],
    ['renameTunnel', ['a', 2]],
    ['listTunnels', ['extra']],
    ['saveSettings', [{ launchAtLogin: true, killSwitchDefault: true, theme: 'neon' }]],
    ['importFiles', [[{ fileName: 'a.conf' }]]],
    ['setKillSwitch', ['wg0', 'yes']],
    ['getConfig', 'wg0'],
  ] as const) {
    assert.throws(
      () => checkArguments(method, args),
      (error: Error & { code?: string }) => error.code === 'bad-arguments',
      `${method} ${JSON.stringify(args)}`,
    );
  }
});

test('failures cross the boundary as message and code', () => {
  assert.deepEqual(toApiFailure(new StoreError('tunnel-exists', 'taken')), { message: 'taken', code: 'tunnel-exists' });
  assert.deepEqual(toApiFailure(new Error('plain')), { message: 'plain' });
  assert.deepEqual(toApiFailure('thrown text'), { message: 'thrown text' });
});
