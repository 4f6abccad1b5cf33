// The wirefly CLI's way to the running helper: the shared HelperConnection, with
// a socket that cannot be reached explained in words a person can act on.
import { HelperConnection } from '../client/helper-connection.js';

export const SOCKET_ENV = 'WIREFLY_HELPER_SOCKET';

function connectionProblem(path: string, error: NodeJS.ErrnoException): Error {
  switch (error.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new Error(
        `the Wirefly helper is not running (nothing listens on ${path}); start its service (sudo systemctl start wirefly-helper@$(id -u)) or run it once: sudo wirefly-helper serve --user $(id -u)`,
      );
    case 'EACCES':
    case 'EPERM':
      return new Error(`not permitted to use the Wirefly helper at ${path}: it serves another user`);
    default:
      return new Error(`cannot reach the Wirefly helper at ${path}: ${error.message}`);
  }
}

/** Connects and says hello; rejects with a message a person can act on. */
export async function connectToHelper(path: string, clientName: string): Promise<HelperConnection> {
  try {
    return await HelperConnection.connect(path, clientName);
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    throw failure.syscall === 'connect' ? connectionProblem(path, failure) : failure;
  }
}
