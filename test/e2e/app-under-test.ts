// The app as the end-to-end tests run it: a real helper in the client
// namespace, and the browser shell in the host namespace that reaches it
// through its Unix socket and serves the built renderer.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { BackgroundProcess } from '../integration/harness/background.js';
import type { Lab } from '../integration/harness/lab.js';
import type { Namespace } from '../integration/harness/namespace.js';
import { ROOT, waitFor } from './page-steps.js';

/**
 * The helper runs in a mount namespace of its own with a private
 * /run/wireguard: its tunnels carry the names a user would give them (alpha,
 * beta…), and the control sockets there are machine-wide, so two test runs on
 * one machine would otherwise take each other's names.
 */
const PRIVATE_UAPI_DIRECTORY = [
  'unshare',
  '--mount',
  '--propagation',
  'private',
  'sh',
  '-c',
  'mkdir -p /run/wireguard && mount -t tmpfs -o mode=0755 wirefly-e2e /run/wireguard && exec "$0" "$@"',
] as const;

export async function startHelper(lab: Lab, client: Namespace, socket: string): Promise<BackgroundProcess> {
  const [unshare, ...inPrivateMounts] = PRIVATE_UAPI_DIRECTORY;
  const helper = client.spawn(unshare, [
    ...inPrivateMounts,
    join(ROOT, 'helper', 'bin', 'wirefly-helper'),
    'serve',
    '--user',
    String(process.getuid?.() ?? 0),
    '--socket',
    socket,
    '--state-dir',
    join(lab.dir, 'helper-state'),
    '--settings',
    join(lab.dir, 'helper.json'),
    '--verbose',
  ]);
  await waitFor('the helper to serve', () => {
    if (helper.hasExited) throw new Error(`helper ${helper.describeExit()}:\n${helper.log()}`);
    return helper.log().includes('serving uid');
  });
  return helper;
}

export async function startShell(lab: Lab, socket: string): Promise<{ shell: BackgroundProcess; url: string }> {
  const shell = new BackgroundProcess(undefined, process.execPath, [
    join(ROOT, 'dist', 'app', 'src', 'web', 'main.js'),
    '--port',
    '0',
    '--data',
    join(lab.dir, 'app-data'),
    '--socket',
    socket,
    '--renderer',
    join(ROOT, 'dist', 'renderer'),
  ]);
  let url = '';
  await waitFor('the browser shell to print its URL', () => {
    if (shell.hasExited) throw new Error(`browser shell ${shell.describeExit()}:\n${shell.log()}`);
    url = /Wirefly is at (\S+)/.exec(shell.log())?.[1] ?? '';
    return url !== '';
  });
  return { shell, url };
}

/** A tunnel's row in the list, named by its state dot, its name and (when not inactive) its state. */
export const row = (page: Page, name: string) =>
  page.getByRole('option', { name: new RegExp(`(^|\\s)${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`) });
