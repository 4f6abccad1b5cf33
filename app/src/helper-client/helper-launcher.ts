// How this process gets a helper running: a process that is already root (a
// development machine, a test) starts it directly; any other asks for the
// password once through the OS's prompt.
import { spawn } from 'node:child_process';
import { elevatedHelperCommand, serveArguments, startHelperElevated } from './start-helper.js';
import type { HelperLaunch } from './start-helper.js';

export function helperLauncher(launch: HelperLaunch, isRoot = process.getuid?.() === 0): () => Promise<void> {
  return isRoot ? () => spawnHelper(launch) : () => startHelperElevated(launch);
}

function spawnHelper(launch: HelperLaunch): Promise<void> {
  const { env } = elevatedHelperCommand(launch);
  const args = serveArguments(launch);
  return new Promise((resolve, reject) => {
    const child = spawn(launch.nodePath, args, { detached: true, stdio: 'ignore', env: { ...process.env, ...env } });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
