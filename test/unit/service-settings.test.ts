import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHelperSettings } from '../../helper/src/service/helper-settings.js';

function withSettingsFile(text: string | undefined, body: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-settings-'));
  try {
    chmodSync(dir, 0o755);
    const path = join(dir, 'helper.json');
    if (text !== undefined) writeFileSync(path, text, { mode: 0o644 });
    body(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('(runs as root) a root-owned file that only root can write may allow scripts', () => {
  assert.equal(process.getuid?.(), 0, 'this test checks root ownership and must run as root');
  withSettingsFile('{ "allowScripts": true }', (path) =>
    assert.deepEqual(loadHelperSettings(path), { settings: { allowScripts: true } }),
  );
});

test('no file means no scripts', () => {
  withSettingsFile(undefined, (path) =>
    assert.deepEqual(loadHelperSettings(path), { settings: { allowScripts: false } }),
  );
});

test('a file others can write, or owned by another user, is ignored with the reason', () => {
  withSettingsFile('{ "allowScripts": true }', (path) => {
    chmodSync(path, 0o666);
    const loaded = loadHelperSettings(path);
    assert.equal(loaded.settings.allowScripts, false);
    assert.match(loaded.problem ?? '', /writable by users other than root/);
  });
  withSettingsFile('{ "allowScripts": true }', (path) => {
    chownSync(path, 65534, 65534);
    const loaded = loadHelperSettings(path);
    assert.equal(loaded.settings.allowScripts, false);
    assert.match(loaded.problem ?? '', /owned by uid 65534/);
  });
  withSettingsFile('{ "allowScripts": true }', (path) => {
    chmodSync(join(path, '..'), 0o777);
    assert.match(loadHelperSettings(path).problem ?? '', /writable by users other than root/);
  });
});

test('malformed settings are ignored, never half-applied', () => {
  for (const [text, why] of [
    ['{ allowScripts: true }', /not valid JSON/],
    ['[true]', /JSON object/],
    ['{ "allowScripts": "yes" }', /true or false/],
  ] as const) {
    withSettingsFile(text, (path) => {
      const loaded = loadHelperSettings(path);
      assert.equal(loaded.settings.allowScripts, false);
      assert.match(loaded.problem ?? '', why);
    });
  }
});
