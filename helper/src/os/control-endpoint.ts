// Where the helper and each tunnel's wg(8) control protocol listen, and who may
// connect: Unix sockets on Linux and macOS, named pipes with an access list on
// Windows. The servers (service/control-server.ts, uapi/server.ts) are plain
// node:net servers; an endpoint only decides the address and its rights.
import type { Server } from 'node:net';

export interface ControlEndpoint {
  /** Where the helper serving `user` listens unless told otherwise. */
  helperAddress(user: string): string;
  /**
   * Listens on `address`, reachable by the OS's administrators (root,
   * SYSTEM) and by `user` alone: a uid on Linux and macOS, a SID on Windows.
   * Throws "another helper is already listening" when a live one is there.
   */
  listenForUser(server: Server, address: string, user: string): Promise<void>;
  /** Where wg(8) looks for interface `ifname`'s control socket. */
  uapiAddress(ifname: string): string;
  /** Listens on `address`, reachable by the administrators alone; EADDRINUSE when a live process answers there. */
  listenPrivately(server: Server, address: string): Promise<void>;
}
