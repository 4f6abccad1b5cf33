// Compiles test-installer.nsi, which wraps packaging/windows/installer.nsh as
// electron-builder's installer does, with Debian's makensis, on Linux, before
// Wine starts: a Windows process under Wine can start a Linux program, but
// gets no process handle back (libuv's spawn fails with EBADF, or aborts in
// AssignProcessToJobObject), so test/win32/nsis.test.ts cannot run makensis
// itself and runs what this compiled.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

/** Electron-builder's names for the packaged app (productName Wirefly). */
export const APP_EXECUTABLE_FILENAME = 'Wirefly.exe';
export const UNINSTALL_FILENAME = 'Uninstall Wirefly.exe';

/** Builds the installer into `output` around `node` (a Windows node.exe); returns its path, or throws. */
export function buildTestInstaller({ node, output }) {
  const root = resolve('.');
  const installer = join(output, 'Wirefly Setup test.exe');
  const defines = {
    PRODUCT_NAME: 'Wirefly',
    APP_EXECUTABLE_FILENAME,
    UNINSTALL_FILENAME,
    INSTALLER_NSH: join(root, 'packaging', 'windows', 'installer.nsh'),
    APP_EXECUTABLE: resolve(node),
    ROOT: root,
    OUT_FILE: installer,
  };
  const argv = [
    '-V2',
    ...Object.entries(defines).map(([name, value]) => `-D${name}=${value}`),
    join(root, 'test', 'win32', 'support', 'test-installer.nsi'),
  ];
  const made = spawnSync('makensis', argv, { encoding: 'utf8' });
  if (made.error?.code === 'ENOENT') throw new Error("makensis is not installed (Debian's nsis package)");
  if (made.status !== 0)
    throw new Error(`makensis failed (${made.status ?? made.signal}):\n${made.stdout}${made.stderr}`);
  return installer;
}
