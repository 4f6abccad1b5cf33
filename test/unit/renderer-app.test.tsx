import './renderer-dom.js';
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import type { TunnelSummary } from '../../app/src/api/wirefly-api.js';
import { generatePrivateKey, keyToBase64 } from '../../helper/src/config/index.js';
import { AppProvider } from '../../renderer/src/app-context.js';
import { App } from '../../renderer/src/components/App.js';
import { connectStores, createStores } from '../../renderer/src/state/stores.js';
import type { Stores } from '../../renderer/src/state/stores.js';
import { FakeApi } from './renderer-fake-api.js';

let root: Root | undefined;
let host: HTMLElement | undefined;

afterEach(async () => {
  await act(async () => root?.unmount());
  host?.remove();
});

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await act(async () => new Promise((resolve) => setTimeout(resolve, 0)));
}

const tunnel = (name: string, state: TunnelSummary['state'] = 'inactive'): TunnelSummary => ({
  name,
  state,
  killSwitch: false,
  connectAtBoot: false,
  owned: true,
});

async function renderApp(api: FakeApi): Promise<Stores> {
  const stores = createStores();
  await connectStores(api, stores);
  host = document.createElement('div');
  document.body.append(host);
  root = createRoot(host);
  await act(async () =>
    root!.render(
      <AppProvider api={api} stores={stores}>
        <App />
      </AppProvider>,
    ),
  );
  await settle();
  return stores;
}

const list = (): HTMLElement => host!.querySelector<HTMLElement>('[role=listbox]')!;

async function press(key: string): Promise<void> {
  await act(async () => list().dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true })));
  await settle();
}

function selectedRow(): string | undefined {
  return host!.querySelector('[role=option][aria-selected=true] .tunnel-name')?.textContent ?? undefined;
}

test('with no tunnels the app explains how to import or create one', async () => {
  await renderApp(new FakeApi());
  assert.match(host!.textContent!, /No tunnels yet/);
  assert.ok([...host!.querySelectorAll('button')].some((b) => b.textContent === 'Import…'));
  assert.ok([...host!.querySelectorAll('button')].some((b) => b.textContent === 'Create a tunnel'));
});

test('arrow keys move through the list, and the list says which row is active', async () => {
  const api = new FakeApi();
  for (const name of ['a', 'b', 'c'])
    api.configs.set(name, `[Interface]\nPrivateKey = ${keyToBase64(generatePrivateKey())}\n`);
  api.tunnels = [tunnel('a'), tunnel('b', 'active'), tunnel('c', 'error')];
  await renderApp(api);
  assert.equal(selectedRow(), 'a');
  await press('ArrowDown');
  assert.equal(selectedRow(), 'b');
  assert.equal(list().getAttribute('aria-activedescendant'), 'tunnel-row-b');
  assert.equal(host!.querySelector('#detail-heading')!.textContent, 'b');
  await press('End');
  assert.equal(selectedRow(), 'c');
  await press('Home');
  assert.equal(selectedRow(), 'a');
  const dots = [...host!.querySelectorAll('[role=option] .state-dot')].map((dot) => dot.getAttribute('aria-label'));
  assert.deepEqual(dots, ['Inactive', 'Active', 'Error']);
});

test('Enter toggles the selected tunnel, and a refusal is shown inline in the detail', async () => {
  const api = new FakeApi();
  api.configs.set('wg0', `[Interface]\nPrivateKey = ${keyToBase64(generatePrivateKey())}\n`);
  api.tunnels = [tunnel('wg0')];
  await renderApp(api);
  await press('Enter');
  assert.deepEqual(api.callsOf('activate'), [['wg0']]);
  api.emitTunnels([tunnel('wg0', 'active')]);
  await settle();
  assert.equal(host!.querySelector('.detail-actions button')!.textContent, 'Deactivate');
  api.refuseSwitching = 'the helper is not running';
  await press('Enter');
  assert.deepEqual(api.callsOf('deactivate'), [['wg0']]);
  assert.match(
    host!.querySelector('.detail [role=alert]')!.textContent!,
    /^The Wirefly helper is not running\. Start it from the banner at the top, then try again\.Details/,
    'the plain words first, and what to do',
  );
  assert.equal(host!.querySelector('[data-testid=problem-detail]')!.textContent, 'the helper is not running');
  assert.equal(
    host!.querySelector('.problem details')!.hasAttribute('open'),
    false,
    'the raw detail is one click away',
  );
});

test('the helper banner offers the action that fixes it', async () => {
  const api = new FakeApi();
  api.helper = { status: 'not-running' };
  api.service = { kind: 'unavailable', reason: 'this system does not run systemd.' };
  await renderApp(api);
  const banner = host!.querySelector('.banner')!;
  assert.match(
    banner.textContent!,
    /not running.*cannot be installed as a service here: this system does not run systemd/,
  );
  assert.deepEqual(
    [...banner.querySelectorAll('button')].map((b) => b.textContent),
    ['Start it for this session'],
  );
  await act(async () => banner.querySelector('button')!.click());
  await settle();
  assert.equal(api.callsOf('startHelper').length, 1);
  api.emitHelper({ status: 'running', version: '1' });
  await settle();
  assert.equal(host!.querySelector('.banner'), null);
});

const buttons = (within: Element): HTMLButtonElement[] => [...within.querySelectorAll<HTMLButtonElement>('button')];

test('first run without a service: install it or start it for this session, and Activate says which it will do', async () => {
  const api = new FakeApi();
  api.helper = { status: 'not-running' };
  api.service = { kind: 'installable' };
  api.configs.set('wg0', `[Interface]\nPrivateKey = ${keyToBase64(generatePrivateKey())}\n`);
  api.tunnels = [tunnel('wg0')];
  await renderApp(api);
  const banner = host!.querySelector('.banner')!;
  assert.deepEqual(
    buttons(banner).map((b) => b.textContent),
    ['Install the helper service', 'Start it for this session'],
  );
  assert.match(banner.textContent!, /asks for an administrator password once, starts with the computer/);
  await act(async () => host!.querySelector<HTMLElement>('[role=option]')!.click());
  await settle();
  assert.equal(
    host!.querySelector('.activate-note')!.textContent,
    'Activate starts the helper for this session first; that asks for an administrator password.',
  );
  await act(async () => buttons(banner)[0]!.click());
  await settle();
  assert.equal(api.callsOf('installHelperService').length, 1);
  assert.equal(api.callsOf('startHelper').length, 0);

  // Installed but stopped: one choice, and Activate starts the service.
  api.service = { kind: 'installed' };
  api.emitHelper({ status: 'not-running' });
  await settle();
  assert.deepEqual(
    buttons(host!.querySelector('.banner')!).map((b) => b.textContent),
    ['Start the service'],
  );
  assert.match(host!.querySelector('.activate-note')!.textContent!, /^Activate starts the helper service first/);
  api.emitHelper({ status: 'running', version: '1' });
  await settle();
  assert.equal(host!.querySelector('.activate-note'), null);
});

test('connect at boot: a switch on the tunnel, changeable while the helper runs', async () => {
  const api = new FakeApi();
  api.service = { kind: 'installed' };
  api.configs.set('wg0', `[Interface]\nPrivateKey = ${keyToBase64(generatePrivateKey())}\n`);
  api.tunnels = [tunnel('wg0')];
  await renderApp(api);
  await act(async () => host!.querySelector<HTMLElement>('[role=option]')!.click());
  await settle();
  const toggle = (): HTMLInputElement => host!.querySelector<HTMLInputElement>('.boot-toggle input')!;
  assert.equal(toggle().checked, false);
  assert.match(
    host!.querySelector('.detail')!.textContent!,
    /brings it up when the computer starts, before anyone logs in/,
  );
  await act(async () => toggle().click());
  await settle();
  assert.deepEqual(api.callsOf('setConnectAtBoot'), [['wg0', true]]);
  assert.equal(toggle().checked, true);
  api.emitHelper({ status: 'not-running' });
  await settle();
  assert.equal(toggle().disabled, true);
  assert.match(host!.querySelector('.boot-toggle')!.textContent!, /Not known while the helper is not running/);
});

test('a helper started for this session: the service can still be installed from Settings', async () => {
  const api = new FakeApi();
  api.service = { kind: 'installable' };
  await renderApp(api);
  assert.equal(host!.querySelector('.banner'), null);
  await act(async () =>
    [...host!.querySelectorAll<HTMLButtonElement>('[role=tab]')].find((b) => b.textContent === 'Settings')!.click(),
  );
  await settle();
  const install = buttons(host!.querySelector('.helper-service-setting')!).find(
    (b) => b.textContent === 'Install the helper service',
  )!;
  await act(async () => install.click());
  await settle();
  assert.equal(api.callsOf('installHelperService').length, 1);
  assert.match(
    host!.querySelector('.helper-service-setting')!.textContent!,
    /Installed: the helper starts with the computer/,
  );
});

test('an installable service that says why it asks for a password: the banner and Settings tell it', async () => {
  const api = new FakeApi();
  api.helper = { status: 'not-running' };
  const reason =
    "this copy of Wirefly.app is not root's alone (/Applications/Wirefly.app belongs to uid 501, not root).";
  api.service = { kind: 'installable', reason };
  await renderApp(api);
  assert.ok(
    host!.querySelector('.banner')!.textContent!.includes(`every restart. It asks for the password because ${reason}`),
  );
  await act(async () =>
    [...host!.querySelectorAll<HTMLButtonElement>('[role=tab]')].find((b) => b.textContent === 'Settings')!.click(),
  );
  await settle();
  assert.match(host!.querySelector('.helper-service-setting')!.textContent!, /It asks for it because this copy/);
});

test('a service awaiting approval in Login Items: the banner and Settings offer to open them', async () => {
  const api = new FakeApi();
  api.helper = { status: 'not-running' };
  api.service = { kind: 'requires-approval' };
  await renderApp(api);
  const banner = host!.querySelector('.banner')!;
  assert.match(banner.textContent!, /waits for your approval: allow Wirefly in System Settings' Login Items/);
  assert.deepEqual(
    buttons(banner).map((b) => b.textContent),
    ['Open Login Items', 'Start it for this session'],
  );
  await act(async () => buttons(banner)[0]!.click());
  await settle();
  assert.equal(api.callsOf('installHelperService').length, 1);

  api.service = { kind: 'requires-approval' };
  await act(async () =>
    [...host!.querySelectorAll<HTMLButtonElement>('[role=tab]')].find((b) => b.textContent === 'Settings')!.click(),
  );
  await settle();
  const setting = host!.querySelector('.helper-service-setting')!;
  assert.match(setting.textContent!, /waiting for you to allow Wirefly there/);
  await act(async () =>
    buttons(setting)
      .find((b) => b.textContent === 'Open Login Items')!
      .click(),
  );
  await settle();
  assert.equal(api.callsOf('installHelperService').length, 2);
});

test('the settings screen saves each change and the theme reaches the stores', async () => {
  const api = new FakeApi();
  const stores = await renderApp(api);
  await act(async () =>
    [...host!.querySelectorAll<HTMLButtonElement>('[role=tab]')].find((b) => b.textContent === 'Settings')!.click(),
  );
  await settle();
  const dark = host!.querySelector<HTMLInputElement>('input[type=radio][value=dark]')!;
  await act(async () => dark.click());
  await settle();
  assert.equal(stores.system.getState().settings?.theme, 'dark');
  assert.deepEqual(api.callsOf('saveSettings').at(-1), [
    { launchAtLogin: false, killSwitchDefault: true, theme: 'dark', rateUnit: 'bits' },
  ]);
});

test('the log screen filters by level', async () => {
  const api = new FakeApi();
  api.logs = [
    { at: 1, level: 'debug', source: 'helper', message: 'noisy detail' },
    { at: 2, level: 'error', source: 'helper', tunnel: 'wg0', message: 'handshake did not complete' },
  ];
  await renderApp(api);
  await act(async () =>
    [...host!.querySelectorAll<HTMLButtonElement>('[role=tab]')].find((b) => b.textContent === 'Log')!.click(),
  );
  await settle();
  const messages = (): string[] => [...host!.querySelectorAll('.log-message')].map((m) => m.textContent!);
  assert.deepEqual(messages(), ['handshake did not complete']);
  const level = host!.querySelectorAll<HTMLSelectElement>('select')[1]!;
  await act(async () => {
    level.value = 'debug';
    level.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await settle();
  assert.deepEqual(messages(), ['noisy detail', 'handshake did not complete']);
});

test('connection doctor: the verdict the helper made by itself is shown, and Diagnose asks for a new one', async () => {
  const api = new FakeApi();
  api.configs.set('wg0', `[Interface]\nPrivateKey = ${keyToBase64(generatePrivateKey())}\n`);
  const found = {
    tunnel: 'wg0',
    at: 1,
    cause: 'no-reply' as const,
    summary: 'Handshakes go out to 192.0.2.1:51820, but nothing comes back.',
    advice: 'Either a firewall on the way drops the UDP, or the server does not know this tunnel.',
    evidence: ['a datagram to 192.0.2.1:51820 met silence (no ICMP error)'],
    publicKey: 'AAAA',
  };
  api.tunnels = [{ ...tunnel('wg0', 'active'), diagnosis: found }];
  await renderApp(api);
  await act(async () => host!.querySelector<HTMLElement>('[role=option]')!.click());
  await settle();
  const panel = (): HTMLElement => host!.querySelector<HTMLElement>('.doctor')!;
  assert.match(panel().textContent!, /nothing comes back/);
  assert.match(panel().textContent!, /This tunnel's public key: AAAA/);
  api.diagnosis = {
    ...found,
    at: 2,
    cause: 'ok',
    summary: 'The tunnel works.',
    advice: 'Nothing to fix.',
    evidence: [],
  };
  await act(async () => panel().querySelector<HTMLButtonElement>('button:not([aria-label])')!.click());
  await settle();
  assert.deepEqual(api.callsOf('diagnose'), [['wg0']]);
  assert.match(panel().textContent!, /The tunnel works\./);
  assert.doesNotMatch(panel().textContent!, /public key/);
});

test('kill switch modes in Settings: read from the helper, each change sent at once', async () => {
  const api = new FakeApi();
  api.killSwitchPolicy = { mode: 'always-on', allowLan: false };
  await renderApp(api);
  await act(async () =>
    [...host!.querySelectorAll<HTMLButtonElement>('[role=tab]')].find((b) => b.textContent === 'Settings')!.click(),
  );
  await settle();
  const boxes = (): HTMLInputElement[] => [
    ...host!.querySelectorAll<HTMLInputElement>('.kill-switch-mode-setting input[type=checkbox]'),
  ];
  assert.deepEqual(
    boxes().map((box) => box.checked),
    [true, false],
  );
  await act(async () => boxes()[1]!.click());
  await settle();
  assert.deepEqual(api.callsOf('setKillSwitchPolicy'), [[{ mode: 'always-on', allowLan: true }]]);
  await act(async () => boxes()[0]!.click());
  await settle();
  assert.deepEqual(api.callsOf('setKillSwitchPolicy').at(-1), [{ mode: 'off', allowLan: true }]);
  assert.deepEqual(
    boxes().map((box) => box.checked),
    [false, true],
  );
});
