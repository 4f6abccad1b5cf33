// `npm run dist:linux [-- TARGET... ELECTRON_BUILDER_OPTION...]`: the Linux
// packages, offline once an Electron folder is at hand. electron-builder does
// the work; this sets it up: its deb target's archive step runs on dpkg-deb
// (packaging/tools/fpm), its archives on Debian's 7-Zip, and the Electron it
// packages is WIREFLY_ELECTRON_DIST, else the one npm installed, else its download.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export const DEFAULT_TARGETS = ['deb', 'tar.gz'] as const;

export interface DistLinuxPlan {
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

function onPath(name: string, path: string): string | undefined {
  return path
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find((file) => existsSync(file));
}

/** node_modules/electron/dist, where npm's electron package put the binary (absent with ELECTRON_SKIP_BINARY_DOWNLOAD). */
function installedElectron(root: string): string | undefined {
  const pathFile = join(root, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const dist = join(root, 'node_modules', 'electron', 'dist');
  return existsSync(join(dist, readFileSync(pathFile, 'utf8'))) ? dist : undefined;
}

export function planDistLinux(
  argv: readonly string[],
  root: string,
  env: Readonly<Record<string, string | undefined>>,
): DistLinuxPlan | string {
  const targets = argv.filter((arg) => !arg.startsWith('-'));
  const options = argv.filter((arg) => arg.startsWith('-'));
  // AppImage needs a runtime and squashfs tools that electron-builder downloads; built where they are at hand.
  const chosen =
    targets.length > 0 ? targets : [...DEFAULT_TARGETS, ...(env['APPIMAGE_TOOLS_PATH'] ? ['AppImage'] : [])];
  const childEnv: Record<string, string> = { CUSTOM_FPM_PATH: join(root, 'packaging', 'tools', 'fpm') };
  if (!env['ELECTRON_BUILDER_7ZIP_PATH']) {
    const sevenZip = onPath('7zz', env['PATH'] ?? '') ?? onPath('7za', env['PATH'] ?? '');
    if (!sevenZip)
      return "dist:linux: no 7-Zip (7zz or 7za) on PATH for the archives: install Debian's 7zip, or set ELECTRON_BUILDER_7ZIP_PATH";
    childEnv['ELECTRON_BUILDER_7ZIP_PATH'] = sevenZip;
  }
  const electronDist = env['WIREFLY_ELECTRON_DIST'] ? resolve(env['WIREFLY_ELECTRON_DIST']) : installedElectron(root);
  if (electronDist !== undefined && !(existsSync(electronDist) && statSync(electronDist).isDirectory())) {
    return `dist:linux: WIREFLY_ELECTRON_DIST=${electronDist} is not a folder (an unpacked Electron: electron, resources/...)`;
  }
  const electronOption = electronDist === undefined ? [] : [`-c.electronDist=${electronDist}`];
  return { args: ['--linux', ...chosen, '--publish', 'never', ...electronOption, ...options], env: childEnv };
}

function main(): number {
  const root = resolve(import.meta.dirname, '..', '..', '..');
  const plan = planDistLinux(process.argv.slice(2), root, process.env);
  if (typeof plan === 'string') {
    process.stderr.write(`${plan}\n`);
    return 1;
  }
  const builder = join(root, 'node_modules', '.bin', 'electron-builder');
  const result = spawnSync(builder, plan.args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...plan.env } });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) process.exit(main());
