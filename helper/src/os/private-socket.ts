// Unix sockets only root (and, where asked, one user) may use: the file is
// created under umask 077 so it is private from the moment bind() makes it,
// and a socket left by a crashed process is replaced while one that a live
// process answers on is not.
import { unlink } from 'node:fs/promises';
import { createConnection, type Server } from 'node:net';

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

/**
 * Listens on `path` with a socket file only its owner (root) can use. Throws an
 * error with code EADDRINUSE when another live process listens there.
 */
export async function listenPrivately(server: Server, path: string): Promise<void> {
  try {
    await listenOwnerOnly(server, path);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
  }
  if (await somebodyAnswers(path)) {
    throw Object.assign(new Error(`${path} is in use by another process`), { code: 'EADDRINUSE' });
  }
  await unlink(path);
  await listenOwnerOnly(server, path);
}
