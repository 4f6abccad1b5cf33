// DNS by rewriting resolv.conf, for systems with neither systemd-resolved nor
// resolvconf. The original bytes go into the journal record (before the file is
// touched) and are written back exactly at undo. The file is rewritten in place,
// never replaced by rename, so a symlink or a bind mount over it (as
// `ip netns exec` makes) stays what it is.
import { readFile, open, unlink } from 'node:fs/promises';
import { formatIpAddress, type IpAddress } from '../../net/ip.js';
import type { JournaledSystem, NetworkUndoStep } from './undo-steps.js';

export const RESOLV_CONF = '/etc/resolv.conf';

const MARKER_PREFIX = '# Written by Wirefly for tunnel ';

/** The first line of a file Wirefly wrote; how undo tells its own file from one someone else wrote since. */
export function resolvConfMarker(ifname: string): string {
  return `${MARKER_PREFIX}${ifname}; the previous contents come back when it goes down.`;
}

export function resolvConfText(
  ifname: string,
  servers: readonly IpAddress[],
  searchDomains: readonly string[],
): string {
  const lines = [resolvConfMarker(ifname), ...servers.map((server) => `nameserver ${formatIpAddress(server)}`)];
  if (searchDomains.length > 0) lines.push(`search ${searchDomains.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

export async function writeResolvConf(
  system: JournaledSystem,
  path: string,
  ifname: string,
  servers: readonly IpAddress[],
  searchDomains: readonly string[],
): Promise<void> {
  const original = await readIfPresent(path);
  const owner = original?.toString('utf8').startsWith(MARKER_PREFIX);
  if (owner) {
    throw new Error(
      `${path} already holds DNS written by Wirefly for another tunnel; only one tunnel at a time can set DNS this way`,
    );
  }
  const marker = resolvConfMarker(ifname);
  await system.record({ op: 'restore-resolv-conf', path, marker, original: original?.toString('base64') ?? null });
  await writeInPlace(path, Buffer.from(resolvConfText(ifname, servers, searchDomains)));
}

/**
 * Puts the original back, but only over the file Wirefly wrote: if something else
 * (a DHCP client, the user) has rewritten it since, theirs is newer and stays.
 */
export async function restoreResolvConf(step: Extract<NetworkUndoStep, { op: 'restore-resolv-conf' }>): Promise<void> {
  const current = await readIfPresent(step.path);
  if (!current?.toString('utf8').startsWith(`${step.marker}\n`)) return;
  if (step.original === null) await unlink(step.path);
  else await writeInPlace(step.path, Buffer.from(step.original, 'base64'));
}

async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function writeInPlace(path: string, bytes: Buffer): Promise<void> {
  const file = await open(path, 'w', 0o644);
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
}
