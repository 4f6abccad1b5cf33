// The helper's version, from the package it ships in, for the hello.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageJsonPath(): string | undefined {
  // From helper/src/service (tsx) or dist/helper/src/service (compiled): the nearest package.json above.
  for (let dir = dirname(fileURLToPath(import.meta.url)); ;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function helperVersion(): string {
  const path = packageJsonPath();
  if (!path) return 'unknown';
  const version = (JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown }).version;
  return typeof version === 'string' ? version : 'unknown';
}
