// The whole app as a person uses it: the browser shell serving the built UI to
// headless Chromium, a real Wirefly helper in a client namespace, and a
// wireguard-go peer in a server namespace. Saves a screenshot of each main
// screen in both themes to test/e2e/test-results/screenshots/, or with
// UPDATE_SCREENSHOTS=1 to test/e2e/screenshots/, the ones the README shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { CHROMIUM, launchChromium } from './chromium.js';
import { FAILURE_DIR, importThroughChooser, ROOT, screenshot, STEP_TIMEOUT_MS, waitFor } from './page-steps.js';
import { withLab } from '../integration/harness/lab.js';
import type { Lab } from '../integration/harness/lab.js';
import type { Namespace } from '../integration/harness/namespace.js';
import { startTunnelServer } from '../integration/harness/tunnel-server.js';
import { row, startHelper, startShell } from './app-under-test.js';

const TUNNEL_NAME = 'e2e0';
/** A preshared key one character short: the config module says why, at line 10. */
const TYPO = 'Presharedkey = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

interface Setup {
  readonly client: Namespace;
  readonly configPath: string;
}

/** A wireguard-go server at 10.99.1.2 and a client config for it in the lab directory. */
async function serverAndConfig(lab: Lab): Promise<Setup> {
  const { client, clientConfig } = await startTunnelServer(lab, { persistentKeepalive: 25 });
  const configPath = join(lab.dir, `${TUNNEL_NAME}.conf`);
  writeFileSync(configPath, clientConfig);
  return { client, configPath };
}

async function scenario(lab: Lab, browser: Browser): Promise<void> {
  const { client, configPath } = await serverAndConfig(lab);
  const socket = join(lab.dir, 'helper.sock');
  await startHelper(lab, client, socket);
  const { shell, url } = await startShell(lab, socket);
  mkdirSync(FAILURE_DIR, { recursive: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1180, height: 760 }, acceptDownloads: true });
    page.on('console', (message) => console.error(`browser console: ${message.text()}`));
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await page.goto(url);
    await page.getByText('No tunnels yet').waitFor();
    await screenshot(page, 'empty');

    // Import through the file chooser; the tunnel is listed and selected.
    await importThroughChooser(page, configPath);
    await row(page, TUNNEL_NAME).waitFor();
    await page.getByRole('heading', { name: TUNNEL_NAME }).waitFor();

    // Editor: an error is marked at its line while typing, then fixed and saved with Ctrl+S.
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const editor = page.locator('.cm-content');
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(TYPO);
    const errorItem = page.locator('.issue.error');
    await errorItem.waitFor();
    const errorText = await errorItem.textContent();
    assert.match(errorText ?? '', /^Line 10ErrorPresharedKey: .*44 base64 characters/, 'the error names its line');
    const markedLine = page.locator('.cm-line', { has: page.locator('.cm-lintRange-error') });
    assert.equal(await markedLine.textContent(), TYPO);
    assert.equal(await page.locator('.cm-gutter-lint .cm-lint-marker-error').count(), 1);
    assert.equal(await page.getByRole('button', { name: 'Save' }).isDisabled(), true, 'no saving with an error');
    assert.match((await page.getByTestId('save-blocked').textContent()) ?? '', /^Fix an error, marked in red/);
    await screenshot(page, 'editor');
    await editor.click();
    await page.keyboard.press('Control+End');
    for (let i = 0; i < TYPO.length; i++) await page.keyboard.press('Backspace');
    await page.keyboard.type('# edited in the e2e test');
    await waitFor('the error to clear', async () => (await page.locator('.issue.error').count()) === 0);
    await page.keyboard.press('Control+s');
    await page.getByRole('heading', { name: TUNNEL_NAME }).waitFor();
    await page.locator('.editor-screen').waitFor({ state: 'detached' });

    // Activate: the handshake appears, transfer and chart grow.
    await page.getByRole('button', { name: 'Activate' }).click();
    await page.locator('.state-label.state-active').waitFor();
    const handshake = page.getByTestId('latest-handshake');
    await waitFor('a handshake', async () => /ago|Just now/.test((await handshake.textContent()) ?? ''));
    const transfer = page.getByTestId('transfer');
    const before = await transfer.textContent();
    const chart = page.locator('.throughput-chart');
    const pointsBefore = Number(await chart.getAttribute('data-points'));
    await client.exec('ping', ['-c', '5', '-i', '0.2', '-W', '2', '10.77.0.1']);
    await waitFor('the transfer counters to grow', async () => (await transfer.textContent()) !== before);
    await waitFor('the chart to grow', async () => Number(await chart.getAttribute('data-points')) > pointsBefore + 1);
    assert.equal((await chart.locator('canvas').count()) > 0, true);
    await screenshot(page, 'tunnel-active');

    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.locator('.state-label.state-inactive').waitFor();

    // Export everything, delete the tunnel, and bring it back from the zip.
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export all' }).click();
    await page
      .getByRole('dialog')
      .getByText(/holds private keys/)
      .waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Export' }).click();
    const zipPath = join(lab.dir, 'export.zip');
    await (await download).saveAs(zipPath);
    assert.equal(readFileSync(zipPath).subarray(0, 2).toString('latin1'), 'PK', 'the export is a zip');
    assert.match((await download).suggestedFilename(), /\.zip$/);

    const deleteTunnel = async (): Promise<void> => {
      await page.getByRole('button', { name: 'Delete…' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText(/removed from this computer/).waitFor();
      await screenshot(page, 'delete-confirm');
      await dialog.getByRole('button', { name: 'Delete' }).click();
      const refusal = dialog.locator('.form-error');
      await waitFor('the tunnel to leave the list', async () => {
        if ((await refusal.count()) > 0) throw new Error(`delete refused: ${await refusal.textContent()}`);
        return (await row(page, TUNNEL_NAME).count()) === 0;
      });
    };
    await deleteTunnel();
    await page.getByText('No tunnels yet').waitFor();
    await importThroughChooser(page, zipPath);
    await row(page, TUNNEL_NAME).waitFor();

    await page.getByRole('tab', { name: 'Log' }).click();
    await page.locator('.log-line').first().waitFor();
    await screenshot(page, 'log');
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('radio', { name: 'Dark' }).waitFor();
    await screenshot(page, 'settings');

    await page.getByRole('tab', { name: 'Tunnels' }).click();
    await deleteTunnel();
    await page.close();
  } catch (error) {
    await Promise.all(
      browser
        .contexts()
        .flatMap((c) => c.pages())
        .map((p, i) => p.screenshot({ path: join(FAILURE_DIR, `failure-${i}.png`) }).catch(() => undefined)),
    );
    throw new Error(
      `${String(error)} (screenshots in ${FAILURE_DIR})\nbrowser shell log:\n${shell.log().split('\n').slice(-40).join('\n')}`,
      { cause: error },
    );
  } finally {
    await shell.stop();
  }
}

test(
  'a person imports, edits, activates, exports, re-imports and deletes a tunnel in the browser',
  { timeout: 240_000 },
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
