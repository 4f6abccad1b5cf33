// The control socket file: created 0600 and then handed to the one user it
// serves, in a directory only root can write to (else that user, or anyone,
// could swap the socket for their own). A socket left by a crashed helper is
// replaced; one that a live helper answers on is not.
import { chmod, chown, lstat, mkdir } from 'node:fs/promises';
import type { Server } from 'node:net';
import { listenPrivately } from '../os/private-socket.js';
import { dirname } from 'node:path';

const WRITABLE_BY_GROUP_OR_OTHERS = 0o022;

async function assertSafeDirectory(directory: string): Promise<void> {
  const created = await mkdir(directory, { recursive: true, mode: 0o755 });
  if (created !== undefined) await chmod(directory, 0o755);
  const stat = await lstat(directory);
  if (!stat.isDirectory()) throw new Error(`${directory} is not a directory`);
  // The helper's own user is root in production; a test may run it as itself.
  if (stat.uid !== process.getuid?.() || (stat.mode & WRITABLE_BY_GROUP_OR_OTHERS) !== 0) {
    throw new Error(
      `${directory} must be owned by the helper's user (root) and writable by it alone, to hold the helper's socket`,
    );
  }
}

/** Listens on `path`, reachable by root and by `uid` alone. */
export async function listenForUser(server: Server, path: string, uid: number): Promise<void> {
  await assertSafeDirectory(dirname(path));
  try {
    await listenPrivately(server, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new Error(`another helper is already listening on ${path}`);
    throw error;
  }
  await chown(path, uid, 0);
  await chmod(path, 0o600);
}
