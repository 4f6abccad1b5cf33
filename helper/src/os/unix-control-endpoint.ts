// Unix sockets for the helper and for wg(8), on Linux and macOS. The helper's socket file is created
// 0600 and then handed to the one user it serves, in a directory only root can
// write to (else that user, or anyone, could swap the socket for their own). A
// socket left by a crashed process is replaced; one that a live process answers
// on is not.
import { chmod, chown, lstat, mkdir } from 'node:fs/promises';
import type { Server } from 'node:net';
import { dirname, join } from 'node:path';
import { helperSocketPath } from '../rpc/socket-path.js';
import type { ControlEndpoint } from './control-endpoint.js';
import { listenPrivately } from './private-socket.js';

const WRITABLE_BY_GROUP_OR_OTHERS = 0o022;

/** Where wg(8) looks for userspace interfaces' control sockets. */
export const UAPI_SOCKET_DIRECTORY = '/var/run/wireguard';

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

function parseUid(user: string): number {
  const uid = Number(user);
  if (!/^\d+$/.test(user) || !Number.isSafeInteger(uid)) throw new Error(`"${user}" is not a numeric uid`);
  return uid;
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

/** The helper's socket per uid and wg(8)'s sockets, as Linux and macOS both have them. */
export function unixControlEndpoint(platform: 'linux' | 'darwin'): ControlEndpoint {
  return {
    helperAddress: (user) => helperSocketPath(parseUid(user), platform),
    listenForUser: (server, address, user) => listenForUser(server, address, parseUid(user)),
    uapiAddress: (ifname) => join(UAPI_SOCKET_DIRECTORY, `${ifname}.sock`),
    async listenPrivately(server, address) {
      await mkdir(dirname(address), { recursive: true, mode: 0o755 });
      await listenPrivately(server, address);
    },
  };
}
