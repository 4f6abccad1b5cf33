// 200 tunnels in the browser: all listed, every one reachable with the keyboard
// (End, Home, arrows) and by clicking, the selected row kept in view. Asserts
// behaviour only; frame timings are reported as diagnostics (the numbers that
// matter come from `npm run bench:ui`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { rendererDir } from '../../app/src/app-paths.js';
import { launchChromium } from './chromium.js';
import { addFrameProbe, pageNow, summarize } from './frame-probe.js';
import { startManyTunnelsShell } from './many-tunnels.js';

const COUNT = 200;
const STEP_TIMEOUT_MS = 30_000;

const selectedName = (listbox: Locator): Promise<string | undefined> =>
  listbox.getAttribute('aria-activedescendant').then((id) => id?.replace(/^tunnel-row-/, ''));

async function isInsideList(page: Page, name: string): Promise<boolean> {
  const list = await page.getByRole('listbox', { name: 'Tunnels' }).boundingBox();
  const row = await page.locator(`#tunnel-row-${name}`).boundingBox();
  return list !== null && row !== null && row.y >= list.y - 1 && row.y + row.height <= list.y + list.height + 1;
}

test(`${COUNT} tunnels are listed and every one is reachable with the keyboard`, { timeout: 180_000 }, async (t) => {
  assert.ok(existsSync(join(rendererDir(), 'index.html')), 'the renderer is not built: run npm run build');
  const shell = await startManyTunnelsShell({ count: COUNT });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1180, height: 760 } });
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await addFrameProbe(page);
    await page.goto(shell.url);
    const { names } = shell;
    const first = names[0]!;
    const last = names[COUNT - 1]!;
    const heading = (name: string) => page.getByRole('heading', { name, exact: true });
    const listbox = page.getByRole('listbox', { name: 'Tunnels' });

    await heading(first).waitFor();
    assert.deepEqual(
      await listbox.getByRole('option').locator('.tunnel-name').allTextContents(),
      names,
      'every tunnel listed once, in order',
    );
    assert.equal(await selectedName(listbox), first, 'the first tunnel is selected at start');

    await listbox.focus();
    await page.keyboard.press('End');
    await heading(last).waitFor();
    assert.equal(await selectedName(listbox), last);
    assert.equal(await page.locator(`#tunnel-row-${last}`).getAttribute('aria-selected'), 'true');
    assert.ok(await isInsideList(page, last), 'End scrolls the last row into view');
    await page.keyboard.press('ArrowDown');
    assert.equal(await selectedName(listbox), last, 'ArrowDown stops at the end');

    await page.keyboard.press('Home');
    await heading(first).waitFor();
    assert.ok(await isInsideList(page, first), 'Home scrolls the first row into view');

    const from = await pageNow(page);
    const reached: (string | undefined)[] = [];
    for (let i = 1; i < COUNT; i++) {
      await page.keyboard.press('ArrowDown');
      reached.push(await selectedName(listbox));
    }
    await heading(last).waitFor();
    t.diagnostic(
      `ArrowDown through ${COUNT} tunnels: ${JSON.stringify(await summarize(page, from, await pageNow(page)))}`,
    );
    assert.deepEqual(reached, names.slice(1), 'ArrowDown visits every tunnel in order');
    await page.keyboard.press('ArrowUp');
    await heading(names[COUNT - 2]!).waitFor();

    const middle = names[COUNT / 2]!;
    await page.locator(`#tunnel-row-${middle}`).click();
    await heading(middle).waitFor();
    assert.equal(await selectedName(listbox), middle, 'a click selects');
    assert.equal(await listbox.locator('[aria-selected="true"]').count(), 1, 'one row is selected');
    await page.keyboard.press('ArrowDown');
    assert.equal(await selectedName(listbox), names[COUNT / 2 + 1], 'the keyboard goes on from the clicked row');
    await page.close();
  } finally {
    await browser.close();
    await shell.close();
  }
});
