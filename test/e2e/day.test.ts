// A desktop user's day, in headless Chromium against the browser shell, a real
// helper in a client namespace and three wireguard-go servers in a server
// namespace: one-click switching between tunnels that conflict, side by side
// for those that do not; failures in plain words that clear by themselves; the
// last session shown as the past; the throughput chart; a tunnel started from
// the command line shown as not the app's; the editor's questions and checks;
// importing with questions, QR codes both ways, exporting one or all. Each
// step asserts on the page and on the client namespace's network. One setup
// serves every step, to keep the run short.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import jsQRModule from 'jsqr';
import QRCode from 'qrcode';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from './chromium.js';
import { row, startHelper, startShell } from './app-under-test.js';
import { FAILURE_DIR, importThroughChooser, ROOT, screenshot, STEP_TIMEOUT_MS, waitFor } from './page-steps.js';
import { BackgroundProcess } from '../integration/harness/background.js';
import { withLab, type Lab } from '../integration/harness/lab.js';
import type { Namespace } from '../integration/harness/namespace.js';
import { ping } from '../integration/harness/ping.js';
import { startServerPeer, startTunnelServer } from '../integration/harness/tunnel-server.js';
import { generateKeyPair } from '../integration/harness/wg.js';
import { zipEntryModes } from '../unit/support/zip-modes.js';

// jsQR is a CommonJS bundle whose types declare an ES default export.
const jsQR = (jsQRModule as unknown as { default: typeof jsQRModule.default }).default;

const WIREFLY = join(ROOT, 'helper', 'bin', 'wirefly');
const ORIGINAL_RESOLV_CONF = 'nameserver 10.200.0.53\n';
const BLOCKED_PORT = 51999;

interface Tunnels {
  readonly client: Namespace;
  /** Config file paths by tunnel name. */
  readonly files: Readonly<Record<string, string>>;
  readonly texts: Readonly<Record<string, string>>;
}

function clientConfig(lines: {
  privateKey: string;
  address: string;
  dns?: string;
  listenPort?: number;
  peerKey: string;
  allowedIps: string;
  port: number;
}): string {
  return [
    '[Interface]',
    `PrivateKey = ${lines.privateKey}`,
    `Address = ${lines.address}`,
    ...(lines.dns ? [`DNS = ${lines.dns}`] : []),
    ...(lines.listenPort ? [`ListenPort = ${lines.listenPort}`] : []),
    '',
    '[Peer]',
    `PublicKey = ${lines.peerKey}`,
    `AllowedIPs = ${lines.allowedIps}`,
    `Endpoint = 10.99.1.2:${lines.port}`,
    'PersistentKeepalive = 25',
    '',
  ].join('\n');
}

/**
 * alpha and beta are one provider's two servers: both set DNS and beta's
 * 10.77.0.0/16 holds alpha's 10.77.0.0/24, so they conflict. gamma sets no DNS
 * and routes its own network: it runs beside either. delta listens on a port
 * something else holds, so it fails.
 */
async function servers(lab: Lab): Promise<Tunnels> {
  const first = await startTunnelServer(lab, { persistentKeepalive: 25 });
  const { client, server } = first;
  const beta = await startServerPeer(lab, server, {
    port: 51821,
    serverAddress: '10.78.0.1',
    clientAddress: '10.78.0.2',
  });
  const gamma = await startServerPeer(lab, server, {
    port: 51822,
    serverAddress: '10.79.0.1',
    clientAddress: '10.79.0.2',
  });
  const spare = await generateKeyPair(lab.dir);
  const texts: Record<string, string> = {
    alpha: first.clientConfig.replace('Address = 10.77.0.2/32', 'Address = 10.77.0.2/32\nDNS = 10.77.0.1'),
    beta: clientConfig({
      privateKey: beta.client.privateKey,
      address: '10.78.0.2/32',
      dns: '10.78.0.1',
      peerKey: beta.server.publicKey,
      allowedIps: '10.78.0.0/24, 10.77.0.0/16',
      port: 51821,
    }),
    gamma: clientConfig({
      privateKey: gamma.client.privateKey,
      address: '10.79.0.2/32',
      peerKey: gamma.server.publicKey,
      allowedIps: '10.79.0.0/24',
      port: 51822,
    }),
    delta: clientConfig({
      privateKey: spare.privateKey,
      address: '10.92.0.2/32',
      listenPort: BLOCKED_PORT,
      peerKey: spare.publicKey,
      allowedIps: '10.92.0.0/24',
      port: 51898,
    }),
  };
  const files: Record<string, string> = {};
  for (const [name, text] of Object.entries(texts)) {
    files[name] = join(lab.dir, `${name}.conf`);
    writeFileSync(files[name], text);
  }
  return { client, files, texts };
}

async function links(client: Namespace): Promise<string[]> {
  const out = await client.exec('ip', ['-o', 'link', 'show']);
  return [...out.matchAll(/^\d+: ([^:@]+)/gm)].map((match) => match[1]!);
}

async function importFiles(page: Page, paths: readonly string[]): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Import…' }).first().click();
  await (await chooser).setFiles([...paths]);
}

async function activate(page: Page, name: string): Promise<void> {
  await row(page, name).click();
  await page.getByRole('heading', { name, exact: true }).waitFor();
  await page.getByRole('button', { name: 'Activate' }).click();
}

const isActive = async (page: Page, name: string): Promise<boolean> =>
  (await row(page, name).locator('.state-dot.state-active').count()) === 1;

async function switching(page: Page, { client, files }: Tunnels, resolvConf: string): Promise<void> {
  await importFiles(page, [files['alpha']!, files['beta']!, files['gamma']!, files['delta']!]);
  for (const name of ['alpha', 'beta', 'gamma', 'delta']) await row(page, name).waitFor();

  await activate(page, 'alpha');
  await waitFor('alpha to be active', () => isActive(page, 'alpha'));
  assert.equal((await ping(client, '10.77.0.1', { count: 1, deadlineSeconds: 10 })).received, 1);
  assert.match(readFileSync(resolvConf, 'utf8'), /nameserver 10\.77\.0\.1/);

  // gamma claims nothing alpha holds: both run.
  await activate(page, 'gamma');
  await waitFor('gamma to be active', () => isActive(page, 'gamma'));
  assert.equal(await isActive(page, 'alpha'), true, 'alpha stays up beside gamma');
  assert.equal((await ping(client, '10.79.0.1', { count: 1, deadlineSeconds: 10 })).received, 1);

  // beta conflicts with alpha (DNS, 10.77.0.0/24): one click switches.
  await activate(page, 'beta');
  await page.locator('.notice').getByText('Switched from alpha to beta.').waitFor();
  await waitFor('beta to be active', () => isActive(page, 'beta'));
  assert.equal(await isActive(page, 'alpha'), false);
  assert.equal(await isActive(page, 'gamma'), true, 'gamma does not conflict and stays up');
  const up = await links(client);
  assert.ok(up.includes('beta') && up.includes('gamma') && !up.includes('alpha'), up.join(' '));
  assert.match(readFileSync(resolvConf, 'utf8'), /nameserver 10\.78\.0\.1/);
  assert.match(await client.exec('ip', ['-4', 'route', 'show', '10.77.0.0/16']), /dev beta/);
  assert.equal((await ping(client, '10.78.0.1', { count: 1, deadlineSeconds: 10 })).received, 1);
  await page.getByTestId('latest-handshake').waitFor();
  await screenshot(page, 'switched');
}

async function chart(page: Page, client: Namespace): Promise<void> {
  await row(page, 'beta').click();
  const chartElement = page.locator('.throughput-chart');
  await chartElement.waitFor();
  // Traffic while the numbers are read: a current rate per direction, the axes of the last minutes.
  const traffic = ping(client, '10.78.0.1', { count: 25, intervalSeconds: 0.2, deadlineSeconds: 15 });
  await waitFor('a received rate above zero', async () =>
    /^[1-9][\d.]* (bit|kbit|Mbit)\/s$/.test((await page.getByTestId('rate-rx').textContent()) ?? ''),
  );
  assert.equal((await traffic).received, 25);
  assert.match((await page.getByTestId('rate-tx').textContent()) ?? '', /^\d[\d.]* (bit|kbit|Mbit)\/s$/);
  assert.equal(await chartElement.getAttribute('data-time-span'), '300', 'five minutes across');
  const ticks = ((await chartElement.getAttribute('data-rate-ticks')) ?? '').split('|');
  assert.ok(ticks.length >= 2, ticks.join(', '));
  const unit = ticks[0]!.split(' ')[1];
  for (const [i, tick] of ticks.entries()) {
    const [value, tickUnit] = tick.split(' ');
    assert.equal(tickUnit, unit, 'one unit along the axis');
    assert.equal(Number(value) % (Number(ticks[1]!.split(' ')[0]) || 1), 0, `${tick} is a round step (${i})`);
  }
  // Values under the pointer.
  await chartElement.locator('.u-legend').scrollIntoViewIfNeeded();
  const box = (await chartElement.locator('.u-over').boundingBox())!;
  await page.mouse.move(box.x + box.width - 4, box.y + box.height / 2);
  await waitFor('the legend to show the values under the pointer', async () =>
    /\d (bit|kbit|Mbit)\/s/.test((await chartElement.locator('.u-legend .u-series').nth(1).textContent()) ?? ''),
  );
  await screenshot(page, 'throughput');

  // Bytes per second, as the Settings say.
  await page.getByRole('tab', { name: 'Settings' }).click();
  await page.getByRole('radio', { name: /^Bytes per second/ }).check();
  await page.getByRole('tab', { name: 'Tunnels' }).click();
  await waitFor('the rates in bytes', async () =>
    /^\d[\d.]* (B|KiB|MiB)\/s$/.test((await page.getByTestId('rate-rx').textContent()) ?? ''),
  );
  await waitFor('the axis in bytes', async () =>
    /^0 (B|KiB|MiB)\/s\|/.test((await chartElement.getAttribute('data-rate-ticks')) ?? ''),
  );
}

async function pastSession(page: Page): Promise<void> {
  await row(page, 'beta').click();
  await page.getByRole('button', { name: 'Deactivate' }).click();
  await page.locator('.state-label.state-inactive').waitFor();
  // The last session, as the past: a clock time, not an age; no live chart.
  assert.match((await page.getByTestId('last-handshake').textContent()) ?? '', /^at \d{1,2}:\d{2}:\d{2}/);
  assert.match((await page.getByTestId('last-transfer').textContent()) ?? '', /^[1-9][\d.]* \S+ received, .* sent$/);
  assert.equal(await page.getByTestId('latest-handshake').count(), 0);
  assert.equal(await page.locator('.throughput-chart').count(), 0);
  assert.equal(await page.locator('.detail').getByText('Latest handshake').count(), 0);
  await screenshot(page, 'past-session');
}

async function failureAndRecovery(page: Page, client: Namespace): Promise<void> {
  const blocker = client.spawn(process.execPath, [
    '-e',
    `require('node:dgram').createSocket('udp4').bind(${BLOCKED_PORT}, () => console.log('bound'))`,
  ]);
  try {
    await waitFor('the port to be held', () => blocker.log().includes('bound'));
    await activate(page, 'delta');
    const summary = page.getByTestId('problem-summary');
    await summary.waitFor();
    assert.equal(await summary.textContent(), 'The tunnel’s listen port is taken by another program.');
    assert.match((await page.getByTestId('problem-advice').textContent()) ?? '', /ListenPort/);
    const detail = page.getByTestId('problem-detail');
    assert.equal(await detail.isVisible(), false, 'the raw detail waits behind a click');
    await page.locator('.problem summary').click();
    assert.match((await detail.textContent()) ?? '', /could not come up: .*(EADDRINUSE|in use)/i);
    // Nothing is left to clear: the tunnel is simply down.
    await page.locator('.state-label.state-inactive').waitFor();
    assert.equal(await row(page, 'delta').locator('.state-dot.state-inactive').count(), 1);
    assert.ok(!(await links(client)).includes('delta'));
    await screenshot(page, 'problem');
  } finally {
    await blocker.stop();
  }
  await page.getByRole('button', { name: 'Activate' }).click();
  await waitFor('delta to come up once the port is free', () => isActive(page, 'delta'));
  assert.equal(await page.getByTestId('problem-summary').count(), 0, 'the problem goes with a good try');
  await page.getByRole('button', { name: 'Deactivate' }).click();
  await page.locator('.state-label.state-inactive').waitFor();
}

async function notOwned(page: Page, lab: Lab, client: Namespace, socket: string): Promise<void> {
  const dir = join(lab.dir, 'cli');
  mkdirSync(dir);
  const write = async (name: string, network: number): Promise<string> => {
    const keys = await generateKeyPair(lab.dir);
    const path = join(dir, `${name}.conf`);
    writeFileSync(
      path,
      clientConfig({
        privateKey: keys.privateKey,
        address: `10.${network}.0.2/32`,
        peerKey: keys.publicKey,
        allowedIps: `10.${network}.0.0/24`,
        port: 51897,
      }),
    );
    return path;
  };
  // Another "alpha" from another file, and one the app has never heard of.
  await client.exec(WIREFLY, ['up', '--socket', socket, await write('alpha', 90)]);
  await client.exec(WIREFLY, ['up', '--socket', socket, await write('omega', 91)]);
  await row(page, 'omega').waitFor();
  await row(page, 'alpha').click();
  await page.getByTestId('activate-blocked').waitFor();
  assert.match(
    (await page.getByTestId('activate-blocked').textContent()) ?? '',
    /Another tunnel named alpha is active, started by wirefly-cli, from a different configuration/,
  );
  assert.equal(await page.getByRole('button', { name: 'Activate' }).isDisabled(), true);
  assert.equal(await isActive(page, 'alpha'), false, "the app's alpha is not the one running");

  await row(page, 'omega').click();
  await page.getByTestId('not-owned').waitFor();
  assert.match((await page.getByTestId('not-owned').textContent()) ?? '', /started by wirefly-cli/);
  assert.equal(await page.locator('.detail-header .badge').textContent(), 'Not from this app');
  assert.equal(await page.getByRole('button', { name: 'Edit' }).count(), 0, 'no config here to edit');
  await screenshot(page, 'not-owned');
  await page.getByRole('button', { name: 'Deactivate' }).click();
  await row(page, 'omega').waitFor({ state: 'detached' });
  assert.ok(!(await links(client)).includes('omega'));

  await client.exec(WIREFLY, ['down', '--socket', socket, 'alpha']);
  await row(page, 'alpha').click();
  await page.getByTestId('activate-blocked').waitFor({ state: 'detached' });
  assert.equal(await page.getByRole('button', { name: 'Activate' }).isEnabled(), true);
}

async function editing(page: Page, texts: Tunnels['texts']): Promise<void> {
  await row(page, 'gamma').click();
  await page.getByRole('button', { name: 'Edit', exact: true }).click();
  const editor = page.locator('.cm-content');
  const typeAtEnd = async (text: string): Promise<void> => {
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(text);
  };
  // An error and a warning together: a second [Peer] with gamma's key, and a keepalive that is no number.
  const gammaPeer = /PublicKey = (\S+)/.exec(texts['gamma']!)![1]!;
  await typeAtEnd(`\n[Peer]\nPublicKey = ${gammaPeer}\nAllowedIPs = 10.79.9.0/24\nPersistentKeepalive = often`);
  await page.locator('.issue.error').first().waitFor();
  await page.locator('.issue.warning').first().waitFor();
  assert.match((await page.locator('.issue.warning').allTextContents()).join(' '), /PublicKey/);
  assert.equal(await page.getByRole('button', { name: 'Save' }).isDisabled(), true);
  assert.match(
    (await page.getByTestId('save-blocked').textContent()) ?? '',
    /^Fix an error, marked in red at its line/,
  );
  // The lint tooltip: the message in words, inside the editor.
  await page.locator('.cm-lintRange-error').first().hover();
  const tooltip = page.locator('.cm-tooltip-lint');
  await tooltip.waitFor();
  assert.match((await tooltip.textContent()) ?? '', /PersistentKeepalive/);
  assert.equal(await tooltip.locator('.cm-diagnosticSource').count(), 0, 'no internal code in the tooltip');
  const inside = (await tooltip.boundingBox())!;
  const frame = (await page.locator('.cm-editor').boundingBox())!;
  assert.ok(
    inside.x >= frame.x - 1 && inside.x + inside.width <= frame.x + frame.width + 1,
    `tooltip ${JSON.stringify(inside)} within editor ${JSON.stringify(frame)}`,
  );
  await screenshot(page, 'editor-problems');

  // Leaving asks: the Log tab, then discard.
  await page.getByRole('tab', { name: 'Log' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('Save the changes to gamma?').waitFor();
  await screenshot(page, 'editor-leave');
  await dialog.getByRole('button', { name: 'Discard changes' }).click();
  await page.locator('.log-line').first().waitFor();
  await page.getByRole('tab', { name: 'Tunnels' }).click();
  await row(page, 'gamma').click();
  assert.match((await page.locator('.detail').textContent()) ?? '', /every 25 seconds/, 'nothing was saved');

  // Leaving for another tunnel, this time saving.
  await page.getByRole('button', { name: 'Edit', exact: true }).click();
  await editor.click();
  for (let i = 0; i < 2; i++) await page.keyboard.press('Control+End');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Backspace');
  await page.keyboard.type('15\n');
  await row(page, 'delta').click();
  await dialog.getByText('Save the changes to gamma?').waitFor();
  await dialog.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'delta', exact: true }).waitFor();
  await row(page, 'gamma').click();
  await page.locator('.detail').getByText('every 15 seconds').waitFor();

  // New: a skeleton with Address and a [Peer] with its fields.
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await page.getByRole('heading', { name: 'New tunnel' }).waitFor();
  const skeleton = (await page.locator('.cm-line').allTextContents()).join('\n');
  for (const line of ['Address = ', '[Peer]', 'PublicKey = ', 'Endpoint = ', 'AllowedIPs = 0.0.0.0/0, ::/0'])
    assert.ok(skeleton.includes(line), `${line} in\n${skeleton}`);
  await page.getByRole('button', { name: 'Cancel' }).click();
}

async function importing(page: Page, lab: Lab, texts: Tunnels['texts']): Promise<void> {
  const again = join(lab.dir, 'again');
  mkdirSync(again);
  writeFileSync(join(again, 'alpha.conf'), texts['alpha']!);
  writeFileSync(join(again, 'My VPN (1).conf'), texts['gamma']!.replace('10.79.0.2/32', '10.79.0.3/32'));
  copyFileSync('/bin/ls', join(again, 'ls.zip'));
  await importFiles(page, [join(again, 'alpha.conf'), join(again, 'My VPN (1).conf'), join(again, 'ls.zip')]);
  const damaged = page.locator('.notice', { hasText: /ls\.zip: the archive is damaged or is not a zip archive/ });
  await damaged.waitFor();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('A tunnel named alpha already exists.').waitFor();
  await dialog.getByText('“My VPN (1)” cannot name a tunnel', { exact: false }).waitFor();
  const questions = dialog.getByTestId('import-question');
  assert.equal(await questions.count(), 2);
  assert.equal(await questions.nth(1).getByRole('textbox').inputValue(), 'My_VPN_1');
  await screenshot(page, 'import-questions');
  await questions
    .nth(0)
    .getByRole('radio', { name: /^Keep both/ })
    .check();
  await dialog.getByRole('button', { name: 'Import' }).click();
  await row(page, 'alpha-2').waitFor();
  await row(page, 'My_VPN_1').waitFor();
  await damaged.getByRole('button', { name: 'Dismiss' }).click();
}

async function exporting(page: Page, lab: Lab, texts: Tunnels['texts']): Promise<void> {
  await row(page, 'delta').click();
  await page.getByRole('button', { name: 'Export…' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText(/delta\.conf holds private keys/).waitFor();
  await screenshot(page, 'export-warning');
  const one = page.waitForEvent('download');
  await dialog.getByRole('button', { name: 'Export' }).click();
  assert.equal((await one).suggestedFilename(), 'delta.conf');
  const onePath = join(lab.dir, 'delta-export.conf');
  await (await one).saveAs(onePath);
  assert.equal(readFileSync(onePath, 'utf8'), texts['delta']);

  const all = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export all' }).click();
  await dialog.getByText(/The archive holds private keys/).waitFor();
  await dialog.getByRole('button', { name: 'Export' }).click();
  const zipPath = join(lab.dir, 'all.zip');
  await (await all).saveAs(zipPath);
  const modes = zipEntryModes(readFileSync(zipPath));
  assert.equal(modes.length, 6, 'every tunnel of the app');
  assert.deepEqual(new Set(modes), new Set([0o100600]), 'each entry unpacks readable by its owner only');
}

async function qrCodes(page: Page, lab: Lab, texts: Tunnels['texts']): Promise<void> {
  await row(page, 'delta').click();
  await page.getByRole('button', { name: 'QR code' }).click();
  const canvas = page.getByTestId('qr-code');
  await waitFor('the QR code to be drawn', async () => ((await canvas.getAttribute('width')) ?? '0') !== '0');
  const image = await canvas.evaluate((element: HTMLCanvasElement) => {
    const context = element.getContext('2d')!;
    return {
      width: element.width,
      height: element.height,
      data: [...context.getImageData(0, 0, element.width, element.height).data],
    };
  });
  const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
  assert.equal(decoded?.data, texts['delta'], 'the code holds the tunnel, byte for byte');
  await screenshot(page, 'qr-code');
  await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();

  const picture = join(lab.dir, 'phone.png');
  await QRCode.toFile(picture, texts['gamma']!.replace('10.79.0.2/32', '10.79.0.4/32'));
  await importThroughChooser(page, picture);
  await row(page, 'phone').waitFor();
  await row(page, 'phone').click();
  await page.locator('.detail').getByText('10.79.0.4/32').waitFor();
}

async function smallThings(page: Page, notFound: readonly string[]): Promise<void> {
  assert.deepEqual(notFound, [], 'nothing the page asked for was missing');
  const icon = await page.evaluate(async () => {
    const link = document.querySelector<HTMLLinkElement>('link[rel=icon]');
    const response = link ? await fetch(link.href) : undefined;
    return { status: response?.status, type: response?.headers.get('content-type') };
  });
  assert.deepEqual(icon, { status: 200, type: 'image/svg+xml' });
  // A clicked row: no focus ring around the whole list.
  await row(page, 'gamma').click();
  const ring = await page
    .locator('.tunnel-list')
    .evaluate((list) => [getComputedStyle(list).outlineStyle, getComputedStyle(list).boxShadow]);
  assert.deepEqual(ring, ['none', 'none']);
  await page.getByRole('tab', { name: 'Settings' }).click();
  const sizes = await page.locator('input[type=checkbox]').evaluateAll((boxes) =>
    boxes.map((box) => {
      const { width, height } = box.getBoundingClientRect();
      return `${Math.round(width)}x${Math.round(height)}`;
    }),
  );
  assert.ok(sizes.length >= 2, sizes.join(' '));
  assert.deepEqual(new Set(sizes), new Set(['16x16']), sizes.join(' '));
  await page.getByRole('tab', { name: 'Tunnels' }).click();
}

async function scenario(lab: Lab, browser: Browser): Promise<void> {
  const tunnels = await servers(lab);
  const { client } = tunnels;
  const netnsEtc = join('/etc/netns', client.name);
  mkdirSync(netnsEtc, { recursive: true });
  const resolvConf = join(netnsEtc, 'resolv.conf');
  writeFileSync(resolvConf, ORIGINAL_RESOLV_CONF);
  const socket = join(lab.dir, 'helper.sock');
  let shell: BackgroundProcess | undefined;
  try {
    const helper = await startHelper(lab, client, socket);
    const started = await startShell(lab, socket);
    shell = started.shell;
    mkdirSync(FAILURE_DIR, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1180, height: 760 }, acceptDownloads: true });
    page.on('console', (message) => console.error(`browser console: ${message.text()}`));
    page.on('pageerror', (error) => console.error(`browser error: ${error.stack ?? error.message}`));
    const notFound: string[] = [];
    page.on('response', (response) => void (response.status() >= 400 && notFound.push(response.url())));
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await page.goto(started.url);
    await page.getByText('No tunnels yet').waitFor();

    await switching(page, tunnels, resolvConf);
    await chart(page, client);
    await pastSession(page);
    await failureAndRecovery(page, client);
    await notOwned(page, lab, client, socket);
    await editing(page, tunnels.texts);
    await importing(page, lab, tunnels.texts);
    await exporting(page, lab, tunnels.texts);
    await qrCodes(page, lab, tunnels.texts);
    await smallThings(page, notFound);

    // Everything down, the helper gone: DNS is as it was.
    await row(page, 'gamma').click();
    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.locator('.state-label.state-inactive').waitFor();
    const exit = await helper.stop();
    assert.equal(exit.code, 0, helper.log());
    assert.equal(readFileSync(resolvConf, 'utf8'), ORIGINAL_RESOLV_CONF);
    await page.close();
  } catch (error) {
    await Promise.all(
      browser
        .contexts()
        .flatMap((c) => c.pages())
        .map((p, i) => p.screenshot({ path: join(FAILURE_DIR, `day-failure-${i}.png`) }).catch(() => undefined)),
    );
    const log = shell ? shell.log().split('\n').slice(-40).join('\n') : '';
    throw new Error(`${String(error)} (screenshots in ${FAILURE_DIR})\nbrowser shell log:\n${log}`, { cause: error });
  } finally {
    await shell?.stop();
    rmSync(netnsEtc, { recursive: true, force: true });
  }
}

test(
  "a desktop user's day: switching, true state, editing, importing, exporting and QR codes",
  { timeout: 300_000 },
  async (t) => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium package`);
    assert.ok(existsSync(join(ROOT, 'dist', 'renderer', 'index.html')), 'the renderer is not built: run npm run build');
    const browser = await launchChromium();
    try {
      await withLab(t, (lab) => scenario(lab, browser));
    } finally {
      await browser.close();
    }
  },
);
