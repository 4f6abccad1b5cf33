// Where the app finds its own files: the package root (holding package.json,
// helper/bin and dist/renderer) whether it runs from app/src through tsx or
// from dist/app/src after the build.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'helper', 'bin'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no Wirefly package root above ${from}`);
  }
}

export function appVersion(root = packageRoot()): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The helper's entry script. */
export function helperScript(root = packageRoot()): string {
  return join(root, 'helper', 'bin', 'wirefly-helper');
}

/** Where the renderer's Vite build writes. */
export function rendererDir(root = packageRoot()): string {
  return join(root, 'dist', 'renderer');
}
