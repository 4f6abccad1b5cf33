// Named pipes for the helper and for wg(8) on Windows. The helper's pipe
// lives under \\.\pipe\ProtectedPrefix\Administrators\, where only
// Administrators and SYSTEM can create pipes (no other user can squat the
// name first), and gets an access list for SYSTEM, Administrators and the
// desktop user's SID; the wg(8) control pipe is where wireguard-go for
// Windows puts it, for SYSTEM and Administrators at high integrity. node:net creates the pipe;
// its access list is set right after it listens, and a connection accepted
// before that is dropped.
import type { Server, Socket } from 'node:net';
import type { ControlEndpoint } from '../control-endpoint.js';
import { applyAccessList, helperPipeSddl, UAPI_PIPE_SDDL } from './security.js';

const PROTECTED_PREFIX = '\\\\.\\pipe\\ProtectedPrefix\\Administrators\\';
/** wireguard-go's ipc_windows.go: where wg.exe looks for a userspace tunnel's control pipe. */
export const UAPI_PIPE_PREFIX = `${PROTECTED_PREFIX}WireGuard\\`;

export function helperPipePath(userSid: string): string {
  helperPipeSddl(userSid);
  return `${PROTECTED_PREFIX}Wirefly\\helper-${userSid}`;
}

export function uapiPipePath(ifname: string): string {
  return `${UAPI_PIPE_PREFIX}${ifname}`;
}

export type AccessListSetter = (path: string, sddl: string) => void;

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? Object.assign(new Error(`${path} is in use by another process`), { code: 'EADDRINUSE' })
          : error,
      );
    };
    server.once('error', failed);
    server.listen(path, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/** Listens on `path` and sets its access list; connections accepted before it was set are closed. */
export async function listenWithAccessList(
  server: Server,
  path: string,
  sddl: string,
  setAccessList: AccessListSetter = applyAccessList,
): Promise<void> {
  const early: Socket[] = [];
  const hold = (socket: Socket) => early.push(socket);
  server.prependListener('connection', hold);
  try {
    await listen(server, path);
    setAccessList(path, sddl);
    // A connection the system accepted before the access list was set is reported in a later poll phase:
    // two turns of the loop make sure one has run.
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
  } catch (error) {
    server.close();
    throw error;
  } finally {
    server.off('connection', hold);
    for (const socket of early) socket.destroy();
  }
}

export function win32ControlEndpoint(setAccessList: AccessListSetter = applyAccessList): ControlEndpoint {
  return {
    helperAddress: (user) => helperPipePath(user),
    async listenForUser(server, address, user) {
      try {
        await listenWithAccessList(server, address, helperPipeSddl(user), setAccessList);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
          throw new Error(`another helper is already listening on ${address}`);
        throw error;
      }
    },
    uapiAddress: (ifname) => uapiPipePath(ifname),
    listenPrivately: (server, address) => listenWithAccessList(server, address, UAPI_PIPE_SDDL, setAccessList),
  };
}
