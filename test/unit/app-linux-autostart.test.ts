import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AUTOSTART_ENTRY,
  autostartDirectory,
  autostartEntry,
  execArgument,
  HIDDEN_ARGUMENT,
  setLinuxAutostart,
} from '../../app/src/electron/linux-autostart.js';
import { filesToImport } from '../../app/src/electron/shell-policy.js';

function expectLiteralPercent(next: string | undefined): string {
  assert.equal(next, '%', 'a field code in Exec');
  return '%';
}

function execLine(entry: string): string {
  const line = entry.split('\n').find((l) => l.startsWith('Exec='));
  assert.ok(line, entry);
  return line.slice('Exec='.length);
}

/** Reads an Exec value back as launchers do: string escapes, then quoting, then %% (GLib expands it inside quotes too). */
function parseExec(value: string): string[] {
  const unescaped = value.replace(/\\(.)/g, (_, c: string) => ({ s: ' ', n: '\n', t: '\t', r: '\r' })[c] ?? c);
  const args: string[] = [];
  let current = '';
  let inQuotes = false;
  let started = false;
  for (let i = 0; i < unescaped.length; i++) {
    const c = unescaped[i]!;
    if (inQuotes) {
      if (c === '\\') current += unescaped[++i]!;
      else if (c === '"') inQuotes = false;
      else if (c === '%') current += expectLiteralPercent(unescaped[++i]);
      else current += c;
    } else if (c === '"') {
      inQuotes = true;
      started = true;
    } else if (c === ' ') {
      if (started) args.push(current);
      current = '';
      started = false;
    } else if (c === '%') {
      current += expectLiteralPercent(unescaped[++i]);
      started = true;
    } else {
      current += c;
      started = true;
    }
  }
  assert.equal(inQuotes, false, 'unterminated quote');
  if (started) args.push(current);
  return args;
}

test('the entry runs the app hidden, as a plain application at login', () => {
  const entry = autostartEntry(['/opt/Wirefly/wirefly']);
  assert.match(entry, /^\[Desktop Entry\]\n/);
  assert.match(entry, /^Type=Application$/m);
  assert.match(entry, /^Name=Wirefly$/m);
  assert.deepEqual(parseExec(execLine(entry)), ['/opt/Wirefly/wirefly', HIDDEN_ARGUMENT]);
});

test('paths with spaces, quotes, dollars, backslashes and percents come back unchanged', () => {
  const awkward = [
    '/home/ann/Applications/Wirefly 1.2.AppImage',
    '/home/o\'brien/"quoted"/$HOME/`x`/back\\slash/100%/wirefly',
    '/tmp/a;b&c|d<e>f~g*h?i#j(k)l',
    '/opt/plain-path_1.0/wirefly',
  ];
  for (const path of awkward) {
    const exec = execLine(autostartEntry([path, '/usr/lib/wirefly/app.asar']));
    assert.deepEqual(parseExec(exec), [path, '/usr/lib/wirefly/app.asar', HIDDEN_ARGUMENT], exec);
    assert.doesNotMatch(exec.replace(/%%/g, ''), /%/, 'a lone % would be a field code');
  }
  assert.equal(execArgument('/opt/Wirefly/wirefly'), '/opt/Wirefly/wirefly');
  assert.equal(execArgument('/a b'), '"/a b"');
  assert.equal(execArgument('/a\\b'), '"/a\\\\\\\\b"');
});

test('arguments an entry cannot hold are refused, not written', () => {
  for (const bad of ['', '/a\nExec=/bin/evil', '/a\rb', '/a\0b']) {
    assert.throws(() => execArgument(bad), /cannot put/);
  }
});

test('the folder follows XDG_CONFIG_HOME when it is absolute', () => {
  assert.equal(autostartDirectory({ XDG_CONFIG_HOME: '/home/ann/.cfg' }, '/home/ann'), '/home/ann/.cfg/autostart');
  assert.equal(autostartDirectory({}, '/home/ann'), '/home/ann/.config/autostart');
  assert.equal(autostartDirectory({ XDG_CONFIG_HOME: 'relative/cfg' }, '/home/ann'), '/home/ann/.config/autostart');
});

test('turning it on writes one readable entry, turning it off removes it, both twice over', async () => {
  const home = mkdtempSync(join(tmpdir(), 'wirefly-autostart-'));
  try {
    const directory = join(home, '.config', 'autostart');
    await setLinuxAutostart(true, ['/opt/Wirefly/wirefly'], directory);
    await setLinuxAutostart(true, ['/opt/Wirefly 2/wirefly'], directory);
    assert.deepEqual(readdirSync(directory), [AUTOSTART_ENTRY]);
    const path = join(directory, AUTOSTART_ENTRY);
    assert.equal(statSync(path).mode & 0o777, 0o644);
    assert.deepEqual(parseExec(execLine(readFileSync(path, 'utf8'))), ['/opt/Wirefly 2/wirefly', HIDDEN_ARGUMENT]);
    await setLinuxAutostart(false, ['/opt/Wirefly/wirefly'], directory);
    await setLinuxAutostart(false, ['/opt/Wirefly/wirefly'], directory);
    assert.deepEqual(readdirSync(directory), []);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('the hidden flag is not taken for a file to import', () => {
  assert.deepEqual(filesToImport([HIDDEN_ARGUMENT, '/home/ann/wg0.conf']), ['/home/ann/wg0.conf']);
});
