// The control socket file: created 0600 and then handed to the one user it
// serves, in a directory only root can write to (else that user, or anyone,
// could swap the socket for their own). A socket left by a crashed helper is
// replaced; one that a live helper answers on is not.
import { chmod, chown, lstat, mkdir, unlink } from 'node:fs/promises';
import { createConnection, type Server } from 'node:net';
import { dirname } from 'node:path';

const WRITABLE_BY_GROUP_OR_OTHERS = 0o022;

async function assertSafeDirectory(directory: string): Promise<void> {
  const created = await mkdir(directory, { recursive: true, mode: 0o755 });
  if (created !== undefined) await chmod(directory, 0o755);
  const stat = await lstat(directory);
  if (!stat.isDirectory()) throw new Error(`${directory} is not a directory`);
  // The helper's own user is root in production; a test may run it as itself.
  if (stat.uid !== process.getuid?.() || (stat.mode & WRITABLE_BY_GROUP_OR_OTHERS) !== 0) {
    throw new Error(`${directory} must be owned by the helper's user (root) and writable by it alone, to hold the helper's socket`);
  }
}

function listenOwnerOnly(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // bind() creates the file inside listen(): the umask decides its mode from the first moment.
    const previousUmask = process.umask(0o077);
    try {
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(previousUmask);
    }
  });
}

function somebodyAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Listens on `path`, reachable by root and by `uid` alone. */
export async function listenForUser(server: Server, path: string, uid: number): Promise<void> {
  await assertSafeDirectory(dirname(path));
  try {
    await listenOwnerOnly(server, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    if (await somebodyAnswers(path)) throw new Error(`another helper is already listening on ${path}`);
    await unlink(path);
    await listenOwnerOnly(server, path);
  }
  await chown(path, uid, 0);
  await chmod(path, 0o600);
}
