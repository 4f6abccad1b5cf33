// First run and connect at boot, as a person meets them in the browser: no
// helper runs; the banner offers to install the helper service or to start it
// for this session, and the tunnel's Activate says which it will do. Installing
// (here: the real helper started in the client namespace, since no systemd
// runs on this machine) clears the banner; marking the tunnel "Connect at
// boot" leaves a root-only copy with the helper, and a helper that starts
// again (the machine's next boot) brings the tunnel up before anyone asks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { appVersion, helperScript, rendererDir } from '../../app/src/app-paths.js';
import { createMainServices } from '../../app/src/services/main-services.js';
import { plainText } from '../../app/src/store/encryption.js';
import { startBrowserShell } from '../../app/src/web/browser-shell.js';
import type { BackgroundProcess } from '../integration/harness/background.js';
import { withLab, type Lab } from '../integration/harness/lab.js';
import { startTunnelServer } from '../integration/harness/tunnel-server.js';
import { HelperServiceStandIn } from '../unit/support/helper-service-stand-in.js';
import { CHROMIUM, launchChromium } from './chromium.js';
import { FAILURE_DIR, importThroughChooser, screenshot, STEP_TIMEOUT_MS, waitFor } from './page-steps.js';

const TUNNEL_NAME = 'boot0';

async function scenario(lab: Lab, browser: Browser): Promise<void> {
  const { client, clientConfig } = await startTunnelServer(lab, { persistentKeepalive: 25 });
  const configPath = join(lab.dir, `${TUNNEL_NAME}.conf`);
  writeFileSync(configPath, clientConfig);
  const socket = join(lab.dir, 'run', 'helper.sock');
  const stateDir = join(lab.dir, 'state');
  mkdirSync(join(lab.dir, 'run'));
  let helper: BackgroundProcess | undefined;
  const runHelper = async (): Promise<void> => {
    helper = client.spawn(helperScript(), [
      'serve',
      '--user',
      String(process.getuid!()),
      '--socket',
      socket,
      '--state-dir',
      stateDir,
      '--settings',
      join(lab.dir, 'helper.json'),
    ]);
  };
  const service = new HelperServiceStandIn({ kind: 'installable' }, runHelper);
  const services = await createMainServices({
    dataDir: join(lab.dir, 'app'),
    encryption: plainText,
    helperSocket: socket,
    appVersion: appVersion(),
    helperBackoff: { initialMs: 50, maxMs: 200 },
    launchHelper: () => Promise.reject(new Error('this test installs the service instead')),
    helperService: service,
  });
  const shell = await startBrowserShell({ api: services.api, rendererDir: rendererDir() });
  mkdirSync(FAILURE_DIR, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1180, height: 760 } });
  try {
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await page.goto(shell.url);
    const banner = page.locator('.banner');
    await banner.getByRole('button', { name: 'Install the helper service' }).waitFor();
    await banner.getByRole('button', { name: 'Start it for this session' }).waitFor();
    await importThroughChooser(page, configPath);
    await page.getByRole('heading', { name: TUNNEL_NAME }).waitFor();
    assert.equal(
      await page.locator('.activate-note').textContent(),
      'Activate starts the helper for this session first; that asks for an administrator password.',
    );
    // The banner and Activate tell one story: Activate works, by starting the helper first.
    const bannerText = (await banner.textContent()) ?? '';
    assert.match(bannerText, /not running; tunnels need it, and Activate starts it for this session first/);
    assert.doesNotMatch(bannerText, /cannot be activated/);
    assert.equal(await page.getByRole('button', { name: 'Activate' }).isEnabled(), true);
    assert.equal(await page.locator('.boot-toggle input').isDisabled(), true, 'connect at boot needs the helper');
    await screenshot(page, 'first-run');

    await banner.getByRole('button', { name: 'Install the helper service' }).click();
    await banner.waitFor({ state: 'detached' });
    assert.equal(service.installs, 1);
    assert.equal(await page.locator('.activate-note').count(), 0);

    const toggle = page.locator('.boot-toggle input');
    // The switch shows what the helper keeps, so it turns only once the helper has the copy.
    await toggle.click();
    await page.locator('.boot-toggle', { hasText: 'On' }).waitFor();
    await page.getByText('The helper service brings it up when the computer starts, before anyone logs in.').waitFor();
    const copy = join(stateDir, 'boot', `${TUNNEL_NAME}.json`);
    assert.equal(statSync(copy).mode & 0o777, 0o600, "the boot copy is root's alone");
    await screenshot(page, 'connect-at-boot');

    // The next boot: the helper stops and starts again, and the page shows the tunnel active without a click.
    await helper!.stop();
    await page.locator('.banner').waitFor();
    await runHelper();
    await page.locator('.state-label.state-active').waitFor();
    await page.locator('.banner').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.locator('.state-label.state-inactive').waitFor();
    await toggle.click();
    await page.locator('.boot-toggle', { hasText: 'Off' }).waitFor();
    await waitFor('the boot copy to go', () => !existsSync(copy));
  } catch (error) {
    await page.screenshot({ path: join(FAILURE_DIR, 'failure-helper-service.png') }).catch(() => undefined);
    throw new Error(`${String(error)} (screenshot in ${FAILURE_DIR})`, { cause: error });
  } finally {
    await page.close();
    await shell.close();
    services.close();
  }
}

test(
  'first run offers the helper service or this session; a tunnel marked to connect at boot comes up when the helper starts',
  { timeout: 120_000 },
  async (t) => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium package`);
    assert.ok(existsSync(join(rendererDir(), 'index.html')), 'the renderer is not built: run npm run build');
    const browser = await launchChromium();
    try {
      await withLab(t, (lab) => scenario(lab, browser));
    } finally {
      await browser.close();
    }
  },
);
