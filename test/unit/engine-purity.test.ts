// The engine is sans-I/O: importing it loads no Node module, no worker
// threads and no native addon, so that everything it does comes in through
// DeviceOptions. Checked on the compiled modules the runtime really loads, by
// following every static and dynamic import from the engine's files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const distHelper = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'helper', 'src');
const engineDirectory = join(distHelper, 'engine');
/** Modules that load an implementation: the addon, or worker threads. */
const IMPLEMENTATIONS = ['crypto/crypto-addon.js', 'os/native-addon.js', 'crypto/crypto-pool.js', 'crypto/provider.js'];

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const match of source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/gm))
    specifiers.push(match[1]!);
  for (const match of source.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) specifiers.push(match[1]!);
  for (const match of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specifiers.push(match[1]!);
  for (const match of source.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)) specifiers.push(match[1]!);
  return specifiers;
}

/** Every file the engine's modules load, transitively, and every non-relative specifier met on the way. */
function engineGraph(): { files: Set<string>; external: Map<string, string> } {
  const files = new Set<string>();
  const external = new Map<string, string>();
  const pending = readdirSync(engineDirectory)
    .filter((name) => name.endsWith('.js'))
    .map((name) => join(engineDirectory, name));
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier));
      else external.set(specifier, relative(distHelper, file));
    }
  }
  return { files, external };
}

test('the engine and everything it imports load no Node module, no package and no addon', () => {
  const { files, external } = engineGraph();
  assert.ok(files.size > 10, `found only ${files.size} modules: is the engine compiled into dist?`);
  const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
  const reached = [...external].map(([specifier, from]) => `${specifier} (from ${from})`);
  assert.deepEqual(
    reached.filter((line) => builtins.has(line.split(' ')[0]!) || line.startsWith('node:')),
    [],
    'Node modules reached from the engine',
  );
  assert.deepEqual(reached, [], 'packages reached from the engine');
  const implementations = [...files]
    .map((file) => relative(distHelper, file))
    .filter((file) => IMPLEMENTATIONS.includes(file));
  assert.deepEqual(implementations, [], 'implementations reached from the engine');
});

test('the import scan sees what it looks for: the runtime does reach the addon, node: modules and worker threads', () => {
  const runtime = importsOf(join(distHelper, 'runtime', 'wireguard-interface.js'));
  assert.ok(runtime.includes('node:os'), runtime.join(', '));
  assert.ok(runtime.includes('../os/network-changes.js'), runtime.join(', '));
  assert.ok(runtime.includes('../crypto/crypto-pool.js'), runtime.join(', '));
  assert.ok(importsOf(join(distHelper, 'crypto', 'crypto-pool.js')).includes('node:worker_threads'));
});
