// `npm start`: opens the Electron app from this checkout. The electron
// package's own entry downloads a missing binary, which cannot work offline,
// so its path is read here, and a missing binary is said in one line.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../app-paths.js';

/** The Electron binary npm installed, or why there is none. */
export function electronBinary(
  root: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { path: string } | { missing: string } {
  const electronPackage = join(root, 'node_modules', 'electron');
  const pathFile = join(electronPackage, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : 'electron';
  const override = env['ELECTRON_OVERRIDE_DIST_PATH'];
  const path = override ? join(override, relative) : join(electronPackage, 'dist', relative);
  if (existsSync(path)) return { path };
  return { missing: `${path} is missing (npm ci skips it with ELECTRON_SKIP_BINARY_DOWNLOAD=1 or offline)` };
}

function main(): void {
  const root = packageRoot();
  const electron = electronBinary(root);
  if ('missing' in electron) {
    process.stderr.write(
      `npm start: no Electron binary, ${electron.missing}; \`npm run web\` opens the same app in a browser.\n`,
    );
    process.exit(1);
  }
  // package.json names no main: electron-builder adds it to the packaged copy only.
  const child = spawn(
    electron.path,
    [join(root, 'dist', 'app', 'src', 'electron', 'main.js'), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) main();
