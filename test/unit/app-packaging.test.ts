import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import type { Configuration } from 'app-builder-lib';
import { DebugLogger, log } from 'builder-util';
import { packageRoot } from '../../app/src/app-paths.js';
import { BUNDLED_DAEMON, bundledDaemonPlist } from '../../app/src/helper-client/launchd-service.js';

const root = packageRoot();

// electron-builder logs to stdout, which node's test runner reserves for its own
// protocol; its logger has no setting for that, so its stream is swapped.
Object.assign(log, { stream: process.stderr });

async function loadConfig(): Promise<Configuration> {
  return getConfig(root, join(root, 'electron-builder.yml'), null);
}

/** `files` as written; electron-builder's loader wraps them into one filter set. */
function filePatterns(config: Configuration): string[] {
  return (config.files as (string | { filter: string[] })[]).flatMap((entry) =>
    typeof entry === 'string' ? [entry] : entry.filter,
  );
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((entry) => join(dir, entry))
    .filter((path) => statSync(path).isFile())
    .map((path) => relative(root, path));
}

/** electron-builder's globs, as far as this config uses them: `**` across folders, `*` within one. */
function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  const regex = escaped
    .split(/\*\*\/?/)
    .map((part) => part.replace(/\*/g, '[^/]*'))
    .join('(?:.*/)?[^/]*');
  return new RegExp(`^${regex}$`);
}

/** The repository files a glob names (searching below its fixed leading folders). */
function matching(pattern: string): string[] {
  const fixed = pattern
    .split('/')
    .filter((_, i, parts) => !parts.slice(0, i + 1).some((part) => part.includes('*')))
    .join('/');
  const regex = globToRegExp(pattern);
  const base = join(root, fixed);
  const candidates = existsSync(base) && statSync(base).isFile() ? [fixed] : filesUnder(base);
  return candidates.filter((path) => regex.test(path));
}

test("electron-builder.yml passes electron-builder's own schema", async () => {
  await validateConfiguration(await loadConfig(), new DebugLogger(false));
  const broken = { ...(await loadConfig()), linuxx: {} } as Configuration;
  await assert.rejects(validateConfiguration(broken, new DebugLogger(false)), /unknown property 'linuxx'/);
});

test('targets, app id and fuses are what the project ships', async () => {
  const config = await loadConfig();
  assert.equal(config.appId, 'org.wirefly.app');
  assert.equal(config.productName, 'Wirefly');
  assert.deepEqual(config.linux?.target, ['AppImage', 'deb', 'tar.gz']);
  assert.equal(config.linux?.executableName, 'wirefly-app', '/usr/bin/wirefly is the command line, not the app');
  assert.deepEqual(config.mac?.target, ['dmg', 'pkg']);
  // The pkg installs a root-owned bundle, and only into /Applications, where the daemon's plist looks.
  assert.deepEqual(config.pkg, {
    installLocation: '/Applications',
    allowAnywhere: false,
    allowCurrentUserHome: false,
    isRelocatable: false,
  });
  assert.deepEqual(config.win?.target, ['nsis']);
  assert.deepEqual(config.electronFuses, {
    runAsNode: true,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    loadBrowserProcessSpecificV8Snapshot: false,
    grantFileProtocolExtraPrivileges: false,
  });
  assert.deepEqual(
    (config.fileAssociations as { ext: string }[]).map((association) => association.ext),
    ['conf', 'zip'],
  );
});

test('every file the config names exists after the build', async () => {
  const config = await loadConfig();
  const main = (config.extraMetadata as { main: string }).main;
  assert.ok(existsSync(join(root, main)), `${main}: the app's entry (run npm run build)`);
  assert.ok(
    existsSync(join(root, 'dist', 'app', 'src', 'electron', 'preload.cjs')),
    'the sandboxed preload is CommonJS',
  );
  for (const pattern of filePatterns(config)) {
    if (pattern.startsWith('!')) continue;
    assert.ok(matching(pattern).length > 0, `files: nothing matches ${pattern}`);
  }
  assert.ok(matching('helper/native/build/Release/*.node').length > 0, 'the native addon is built');
  for (const pattern of config.asarUnpack as string[])
    assert.ok(matching(pattern).length > 0, `asarUnpack: nothing matches ${pattern}`);
  for (const icon of [config.linux?.icon, config.mac?.icon, config.win?.icon])
    assert.ok(icon && existsSync(join(root, icon)), `icon ${icon}`);
  for (const resource of config.extraResources as { from: string }[])
    assert.ok(existsSync(join(root, resource.from)), resource.from);
  for (const unit of [
    'linux/wirefly-helper@.service',
    'macos/org.wirefly.helper.plist',
    'macos/LaunchDaemons/org.wirefly.helper.plist',
    'windows/installer.nsh',
    'linux/bin/wirefly',
    'linux/bin/wirefly-helper',
  ]) {
    const text = readFileSync(join(root, 'packaging', unit), 'utf8');
    assert.match(
      text,
      /app\.asar\.unpacked[\\/]helper[\\/]bin[\\/]wirefly(-helper)?\b/,
      `${unit} runs the unpacked helper or CLI`,
    );
    assert.match(text, /ELECTRON_RUN_AS_NODE/, `${unit} runs it in Electron's Node`);
  }
  assert.ok(existsSync(join(root, 'helper', 'bin', 'wirefly-helper')));
});

/** The npm packages a compiled file imports by name. */
function importedPackages(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import\()\s*'([^'./][^']*)'/g)].map((match) => match[1]!);
  return specifiers
    .filter((specifier) => !specifier.startsWith('node:'))
    .map((specifier) =>
      specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/'),
    );
}

function withDependencies(name: string, seen = new Set<string>()): Set<string> {
  if (seen.has(name)) return seen;
  seen.add(name);
  const manifest = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const dependency of Object.keys(manifest.dependencies ?? {})) withDependencies(dependency, seen);
  return seen;
}

test("a mac build carries the SMAppService daemon's plist in Contents/Library/LaunchDaemons", async () => {
  const extraFiles = (await loadConfig()).mac?.extraFiles as { from: string; to: string; filter: string[] }[];
  assert.deepEqual(extraFiles, [
    { from: 'packaging/macos/LaunchDaemons/', to: 'Library/LaunchDaemons/', filter: [BUNDLED_DAEMON] },
  ]);
  assert.ok(existsSync(join(root, extraFiles[0]!.from, BUNDLED_DAEMON)));
  // Where the app looks for it, relative to the bundle (extraFiles land in Contents/).
  assert.equal(bundledDaemonPlist('/B.app'), `/B.app/Contents/${extraFiles[0]!.to}${BUNDLED_DAEMON}`);
});

test('the helper and every package it loads are unpacked from the asar archive', async () => {
  const unpack = ((await loadConfig()).asarUnpack as string[]).map(globToRegExp);
  const helperFiles = filesUnder(join(root, 'dist', 'helper')).filter((path) => path.endsWith('.js'));
  assert.ok(helperFiles.length > 0, 'the helper is built');
  const packages = new Set<string>();
  for (const file of helperFiles) for (const name of importedPackages(file)) withDependencies(name, packages);
  assert.ok(packages.size > 0);
  for (const name of packages) {
    const manifest = `node_modules/${name}/package.json`;
    assert.ok(
      unpack.some((regex) => regex.test(manifest)),
      `${name} is imported by the helper but packed in app.asar`,
    );
  }
  for (const path of [
    'helper/bin/wirefly-helper',
    'dist/helper/src/cli/wirefly-helper.js',
    'helper/native/build/Release/wirefly_native.node',
  ]) {
    assert.ok(
      unpack.some((regex) => regex.test(path)),
      `${path} is unpacked`,
    );
  }
});
