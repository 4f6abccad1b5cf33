import './renderer-dom.js';
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { Text } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { generatePrivateKey, keyToBase64, publicKeyFromPrivate } from '../../helper/src/config/index.js';
import { AppProvider } from '../../renderer/src/app-context.js';
import { analyzeConfig } from '../../renderer/src/editor/config-analysis.js';
import { EditorScreen } from '../../renderer/src/editor/EditorScreen.js';
import { issueRange } from '../../renderer/src/editor/issue-diagnostics.js';
import { findPrivateKeyValue, newTunnelText, privateKeyEdit } from '../../renderer/src/editor/private-key.js';
import { createStores } from '../../renderer/src/state/stores.js';
import type { Stores } from '../../renderer/src/state/stores.js';
import { FakeApi } from './renderer-fake-api.js';

const privateKey = keyToBase64(generatePrivateKey());
const peerKey = keyToBase64(publicKeyFromPrivate(generatePrivateKey()));
const VALID = `[Interface]\nPrivateKey = ${privateKey}\nAddress = 10.0.0.2/32\nDNS = 10.0.0.1\n\n[Peer]\nPublicKey = ${peerKey}\nAllowedIPs = 0.0.0.0/0\nEndpoint = 127.0.0.1:51820\n`;

test('analysis reports the config module errors at their lines, errors before warnings', () => {
  const text = VALID.replace('Address = 10.0.0.2/32', 'Address = 10.0.0.300/32').replace('[Peer]', '[Peer]\nBogus = 1');
  const analysis = analyzeConfig(text);
  assert.equal(analysis.errorCount, 2);
  assert.deepEqual(
    analysis.issues.filter((i) => i.severity === 'error').map((i) => [i.line, i.code]),
    [
      [3, 'bad-address'],
      [7, 'unknown-key'],
    ],
  );
});

test('analysis derives the public key from PrivateKey even when other lines are broken', () => {
  const expected = keyToBase64(publicKeyFromPrivate(Buffer.from(privateKey, 'base64')));
  assert.equal(analyzeConfig(VALID).publicKey, expected);
  assert.equal(analyzeConfig(VALID.replace('AllowedIPs = 0.0.0.0/0', 'AllowedIPs = nonsense')).publicKey, expected);
  assert.equal(analyzeConfig(VALID.replace(privateKey, 'short')).publicKey, undefined);
});

test('a peer routing 0.0.0.0/0 or ::/0 makes a full tunnel', () => {
  assert.equal(analyzeConfig(VALID).fullTunnel, true);
  assert.equal(analyzeConfig(VALID.replace('0.0.0.0/0', '10.0.0.0/24')).fullTunnel, false);
  assert.equal(analyzeConfig(VALID.replace('0.0.0.0/0', '10.0.0.0/24, ::/0')).fullTunnel, true);
});

test('issues are placed from their column to the end of the line text, comments left out', () => {
  const doc = Text.of(['[Interface]', 'MTU = 99999   # too big', 'Address =']);
  const line2 = doc.line(2);
  assert.deepEqual(issueRange(doc, { severity: 'error', line: 2, column: 7, code: 'out-of-range', message: '' }), {
    from: line2.from + 6,
    to: line2.from + 11,
  });
  // A problem past the text (a missing value) marks the whole line.
  const line3 = doc.line(3);
  assert.deepEqual(issueRange(doc, { severity: 'error', line: 3, column: 10, code: 'missing-value', message: '' }), {
    from: line3.from,
    to: line3.to,
  });
  // Whole-file problems mark the first line; lines past the end are clamped to the last.
  assert.deepEqual(issueRange(doc, { severity: 'error', line: 0, column: 0, code: 'missing-interface', message: '' }), {
    from: 0,
    to: 11,
  });
  assert.equal(
    issueRange(doc, { severity: 'warning', line: 99, column: 1, code: 'no-peers', message: '' }).from,
    line3.from,
  );
});

test('a new key replaces the PrivateKey value, or is added under [Interface]', () => {
  const found = findPrivateKeyValue(VALID)!;
  assert.equal(VALID.slice(found.from, found.to), privateKey);
  const edit = privateKeyEdit(VALID, 'NEW');
  assert.equal(VALID.slice(0, edit.from) + edit.insert + VALID.slice(edit.to), VALID.replace(privateKey, 'NEW'));
  const noKey = '[Interface] # mine\nAddress = 10.0.0.1/32\n';
  const added = privateKeyEdit(noKey, 'NEW');
  assert.equal(
    noKey.slice(0, added.from) + added.insert + noKey.slice(added.to),
    '[Interface] # mine\nPrivateKey = NEW\nAddress = 10.0.0.1/32\n',
  );
  const skeleton = newTunnelText();
  assert.match(skeleton, /^\[Interface\]\nPrivateKey = [A-Za-z0-9+/]{43}=\n/);
  for (const line of ['Address = ', '[Peer]', 'PublicKey = ', 'Endpoint = ', 'AllowedIPs = 0.0.0.0/0, ::/0'])
    assert.ok(skeleton.split('\n').includes(line), line);
  // What is left to fill in is the list of errors, each at its line; nothing claims the tunnel lacks a peer.
  const skeletonIssues = analyzeConfig(skeleton).issues;
  assert.deepEqual(
    skeletonIssues.filter((issue) => issue.code === 'missing-value').map((issue) => issue.key),
    ['Address', 'PublicKey', 'Endpoint'],
  );
  assert.equal(
    skeletonIssues.some((issue) => issue.code === 'no-peers'),
    false,
  );
});

let root: Root | undefined;
let host: HTMLElement | undefined;

afterEach(async () => {
  await act(async () => root?.unmount());
  host?.remove();
  root = undefined;
});

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await act(async () => new Promise((resolve) => setTimeout(resolve, 0)));
}

async function renderEditor(api: FakeApi, stores: Stores, name: string): Promise<EditorView> {
  host = document.createElement('div');
  document.body.append(host);
  root = createRoot(host);
  await act(async () => {
    root!.render(
      <AppProvider api={api} stores={stores}>
        <EditorScreen editing={{ kind: 'edit', name }} />
      </AppProvider>,
    );
  });
  await settle();
  const element = host.querySelector('.cm-editor');
  assert.ok(element, 'the CodeMirror editor is on the page');
  const view = EditorView.findFromDOM(element as HTMLElement);
  assert.ok(view);
  return view;
}

async function type(view: EditorView, from: number, to: number, insert: string): Promise<void> {
  await act(async () => view.dispatch({ changes: { from, to, insert } }));
  await settle();
}

function issueTexts(): string[] {
  return [...host!.querySelectorAll('.issue')].map((item) => item.textContent ?? '');
}

test('the editor marks an error at its line while typing, and clears it when fixed', async () => {
  const api = new FakeApi();
  api.configs.set('wg0', VALID);
  const stores = createStores();
  stores.tunnels
    .getState()
    .setTunnels([{ name: 'wg0', state: 'inactive', killSwitch: false, connectAtBoot: false, owned: true }]);
  const view = await renderEditor(api, stores, 'wg0');
  assert.deepEqual(issueTexts(), []);
  assert.match(host!.querySelector('.issues-summary')!.textContent!, /No problems/);

  const address = view.state.doc.line(3);
  await type(view, address.from, address.to, 'Address = 10.0.0.300/32');
  const issues = issueTexts();
  assert.equal(issues.length, 1);
  assert.match(issues[0]!, /^Line 3Error.*10\.0\.0\.300/);
  const marked = host!.querySelectorAll('.cm-lintRange-error');
  assert.equal(marked.length, 1, 'the bad value is underlined');
  assert.equal(marked[0]!.closest('.cm-line'), host!.querySelectorAll('.cm-content .cm-line')[2], 'on the third line');
  assert.match(marked[0]!.textContent!, /10\.0\.0\.300\/32/);

  const broken = view.state.doc.line(3);
  await type(view, broken.from, broken.to, 'Address = 10.0.0.3/32');
  assert.deepEqual(issueTexts(), []);
  assert.equal(host!.querySelectorAll('.cm-lintRange-error').length, 0);
});

test('save refuses a config with errors and says why, and saves it once fixed', async () => {
  const api = new FakeApi();
  api.configs.set('wg0', VALID);
  const stores = createStores();
  stores.tunnels
    .getState()
    .setTunnels([{ name: 'wg0', state: 'inactive', killSwitch: false, connectAtBoot: false, owned: true }]);
  stores.ui.getState().edit({ kind: 'edit', name: 'wg0' });
  const view = await renderEditor(api, stores, 'wg0');

  const endpoint = view.state.doc.line(9);
  await type(view, endpoint.from, endpoint.to, 'Endpoint = nowhere');
  const saveButton = host!.querySelector<HTMLButtonElement>('button[type=submit]')!;
  assert.equal(saveButton.disabled, true, 'Save is disabled while there are errors');
  assert.match(host!.querySelector('[data-testid=save-blocked]')!.textContent!, /^Fix an error, marked in red/);
  await act(async () => {
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 's', ctrlKey: true, bubbles: true }));
  });
  await settle();
  assert.equal(api.callsOf('saveConfig').length, 0);
  assert.match(host!.querySelector('[role=alert]')!.textContent!, /Not saved: the configuration has an error/);

  const fixed = view.state.doc.line(9);
  await type(view, fixed.from, fixed.to, 'Endpoint = 127.0.0.1:51821');
  assert.equal(host!.querySelector('[role=alert]'), null, 'the refusal goes once the text changes');
  await act(async () => {
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 's', ctrlKey: true, bubbles: true }));
  });
  await settle();
  assert.equal(api.callsOf('saveConfig').length, 1, 'Ctrl+S saves');
  assert.match(String(api.callsOf('saveConfig')[0]![1]), /Endpoint = 127\.0\.0\.1:51821/);
  assert.equal(stores.ui.getState().editing, undefined, 'the editor closes after saving');
});

test('the editor shows the derived public key, generates a key pair, and offers the kill switch for full tunnels', async () => {
  const api = new FakeApi();
  api.configs.set('wg0', VALID);
  const stores = createStores();
  stores.tunnels
    .getState()
    .setTunnels([{ name: 'wg0', state: 'inactive', killSwitch: false, connectAtBoot: false, owned: true }]);
  const view = await renderEditor(api, stores, 'wg0');
  const shownKey = (): string => host!.querySelector('[data-testid=derived-public-key]')!.textContent!;
  assert.equal(shownKey(), analyzeConfig(VALID).publicKey);
  assert.ok(host!.querySelector('input[type=checkbox]'), 'a full tunnel offers the kill switch');

  const before = shownKey();
  const generate = [...host!.querySelectorAll('button')].find((b) => b.textContent === 'Generate key pair')!;
  await act(async () => generate.click());
  await settle();
  assert.notEqual(shownKey(), before);
  assert.equal(shownKey(), analyzeConfig(view.state.doc.toString()).publicKey);

  const allowed = view.state.doc.line(8);
  await type(view, allowed.from, allowed.to, 'AllowedIPs = 10.0.0.0/24');
  assert.equal(host!.querySelector('input[type=checkbox]'), null, 'a split tunnel has no kill switch');
});

test('warnings are shown beside errors, not only once every error is fixed', () => {
  const text = VALID.replace('AllowedIPs = 0.0.0.0/0', 'AllowedIPs = 0.0.0.0/0\nPersistentKeepalive = often').concat(
    `\n[Peer]\nPublicKey = ${peerKey}\nAllowedIPs = 10.9.0.0/24\n`,
  );
  const analysis = analyzeConfig(text);
  assert.equal(analysis.errorCount, 1);
  assert.deepEqual(
    analysis.issues.map((issue) => [issue.severity, issue.line]),
    [
      ['error', 9],
      ...analysis.issues.filter((issue) => issue.severity === 'warning').map((issue) => ['warning', issue.line]),
    ],
  );
  assert.ok(
    analysis.issues.some((issue) => issue.severity === 'warning' && issue.code === 'duplicate-peer'),
    analysis.issues.map((issue) => issue.code).join(', '),
  );
});

test('leaving the editor with unsaved changes asks to save or discard them', async () => {
  const api = new FakeApi();
  api.configs.set('wg0', VALID);
  const stores = createStores();
  stores.tunnels
    .getState()
    .setTunnels([{ name: 'wg0', state: 'inactive', killSwitch: false, connectAtBoot: false, owned: true }]);
  stores.ui.getState().edit({ kind: 'edit', name: 'wg0' });
  const view = await renderEditor(api, stores, 'wg0');
  let left = 0;
  // Unchanged: leaving asks nothing.
  await act(async () => stores.ui.getState().leaveEditor(() => left++));
  assert.equal(left, 1);
  const dns = view.state.doc.line(4);
  await type(view, dns.from, dns.to, 'DNS = 10.0.0.53');
  await act(async () => stores.ui.getState().leaveEditor(() => left++));
  await settle();
  assert.equal(left, 1, 'nothing happens before the person answers');
  const dialog = host!.querySelector('dialog')!;
  assert.match(dialog.textContent!, /Save the changes to wg0\?/);
  const buttons = [...dialog.querySelectorAll('button')].map((button) => button.textContent);
  assert.deepEqual(buttons, ['Keep editing', 'Discard changes', 'Save']);
  await act(async () => (dialog.querySelectorAll('button')[0] as HTMLButtonElement).click());
  await settle();
  assert.equal(host!.querySelector('dialog'), null);
  assert.equal(left, 1, 'keep editing stays');
  await act(async () => stores.ui.getState().leaveEditor(() => left++));
  await settle();
  await act(async () => (host!.querySelector('dialog button[type=submit]') as HTMLButtonElement).click());
  await settle();
  assert.equal(left, 2, 'saved, then gone where the person was going');
  assert.match(String(api.callsOf('saveConfig')[0]![1]), /DNS = 10\.0\.0\.53/);
});
