// The control socket wg(8) talks to: /var/run/wireguard/IFNAME.sock, a Unix
// stream socket only root can open (Windows: wireguard-go's named pipe, for
// SYSTEM and Administrators alone; os/control-endpoint.ts decides), serving get and set operations to any number
// of clients, one operation at a time across all of them, as wireguard-go does.
import { lstat, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { ENOANO } from './errno.js';
import { UapiRequestReader, type UapiOperation } from './framing.js';
import { UapiError, type UapiDevice, type UapiSetSession } from './model.js';
import { formatErrno, formatGetChunks, UapiSetParser } from './protocol.js';
import { currentPlatform } from '../os/platform.js';

export type UapiLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface UapiServerOptions {
  readonly interfaceName: string;
  readonly device: UapiDevice;
  /** Where IFNAME.sock goes instead of where wg(8) looks (the platform's control endpoint decides that). */
  readonly socketDirectory?: string;
  readonly log?: (level: UapiLogLevel, message: string) => void;
  /** A connection that sends nothing and reads nothing for this long is closed. Default 30 s. */
  readonly idleTimeoutMs?: number;
  /** Connections beyond this many are refused. Default 256. */
  readonly maxConnections?: number;
}

export interface UapiServer {
  readonly path: string;
  /** Stops serving, drops the connections and removes the socket file. */
  close(): Promise<void>;
}

const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_CONNECTIONS = 256;
/** Linux IFNAMSIZ less the terminating NUL; the name also becomes a file name. */
const INTERFACE_NAME = /^(?!\.\.?$)[^/\0\s]{1,15}$/;

function uapiPath(interfaceName: string, socketDirectory: string | undefined): string {
  if (!INTERFACE_NAME.test(interfaceName)) {
    throw new Error(`not a usable interface name: ${JSON.stringify(interfaceName)}`);
  }
  return socketDirectory === undefined
    ? currentPlatform().control.uapiAddress(interfaceName)
    : join(socketDirectory, `${interfaceName}.sock`);
}

/**
 * Removes IFNAME's control socket if a helper that was killed left it behind:
 * wg(8) lists every socket there, and a dead one makes `wg show` fail for an
 * interface that no longer exists. Only a socket file nobody answers on goes;
 * one a live process serves (wireguard-go's, or another helper's) stays.
 * Returns whether one was removed.
 */
export async function removeStaleUapiSocket(interfaceName: string, socketDirectory?: string): Promise<boolean> {
  const path = uapiPath(interfaceName, socketDirectory);
  // A named pipe (Windows) goes with the process that made it.
  if (path.startsWith('\\\\')) return false;
  const stat = await lstat(path).catch(() => undefined);
  if (!stat?.isSocket()) return false;
  const answered = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (answered) return false;
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  return true;
}

/** Listens on SOCKET_DIRECTORY/IFNAME.sock; refuses if a live process already answers there. */
export async function startUapiServer(options: UapiServerOptions): Promise<UapiServer> {
  const control = currentPlatform().control;
  const path = uapiPath(options.interfaceName, options.socketDirectory);
  const log = options.log ?? (() => {});
  const connections = new Set<Socket>();
  const exclusive = new Lock();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
    serveConnection(socket, { ...options, log, exclusive });
  });
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  await control.listenPrivately(server, path);
  server.on('error', (error) => log('error', `control socket ${path}: ${error.message}`));
  log('info', `control socket listening on ${path}`);
  return {
    path,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of connections) socket.destroy();
      await closed;
      // Node removes the socket file itself; this covers a file left by an earlier failure.
      // A named pipe (Windows) has no file: it is gone with its server.
      if (!path.startsWith('\\\\'))
        await unlink(path).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        });
    },
  };
}

/**
 * Lets one operation at a time at the device, like wireguard-go's lock around
 * every get and set. A set request holds it from its first line to its last,
 * while its lines stream in.
 */
class Lock {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves, once it is this caller's turn, with the function that ends it. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => turn);
    return ready;
  }
}

interface ConnectionContext {
  readonly device: UapiDevice;
  readonly log: (level: UapiLogLevel, message: string) => void;
  readonly exclusive: Lock;
  readonly idleTimeoutMs?: number;
}

/** A set request being applied: its session, and the first error, after which its remaining lines are skipped. */
interface SetInProgress {
  readonly session: UapiSetSession;
  readonly parser: UapiSetParser;
  readonly release: () => void;
  error: UapiError | undefined;
}

function serveConnection(socket: Socket, context: ConnectionContext): void {
  const reader = new UapiRequestReader();
  const queue: UapiOperation[] = [];
  const connection: Connection = { socket, context, set: undefined };
  let busy = false;

  // Operations run one at a time; while they do, the client is not read from.
  const drainQueue = async () => {
    busy = true;
    socket.pause();
    for (let operation = queue.shift(); operation; operation = queue.shift()) {
      if (socket.destroyed) break;
      // The lines of a set request, the bulk of any large one, go straight through unless a step has to wait.
      const pending =
        operation.kind === 'set-line' ? applyLine(connection, operation.line) : performOperation(connection, operation);
      if (pending) await pending;
    }
    if (socket.destroyed) {
      abandonSet(connection);
      return;
    }
    busy = false;
    if (reader.closed) socket.end();
    else socket.resume();
  };
  const enqueue = (operations: UapiOperation[]) => {
    queue.push(...operations);
    if (!busy) drainQueue().catch(() => socket.destroy());
  };

  socket.setTimeout(context.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, () => {
    context.log('debug', 'control connection idle too long; closing');
    socket.destroy();
  });
  socket.on('data', (chunk: Buffer) => {
    if (!reader.closed) enqueue(reader.push(chunk));
  });
  socket.on('end', () => enqueue(reader.end()));
  socket.on('error', (error) => context.log('debug', `control connection: ${error.message}`));
  // A client gone in the middle of a set request leaves what it applied, and the lock, behind.
  socket.on('close', () => {
    if (!busy) abandonSet(connection);
  });
}

interface Connection {
  readonly socket: Socket;
  readonly context: ConnectionContext;
  set: SetInProgress | undefined;
}

async function performOperation(connection: Connection, operation: UapiOperation): Promise<void> {
  const { socket, context } = connection;
  switch (operation.kind) {
    case 'get': {
      const release = await context.exclusive.acquire();
      try {
        await writeGet(connection);
      } finally {
        release();
      }
      return;
    }
    case 'set-begin': {
      const release = await context.exclusive.acquire();
      try {
        connection.set = { session: context.device.beginSet(), parser: new UapiSetParser(), release, error: undefined };
      } catch (error) {
        release();
        throw error;
      }
      return;
    }
    case 'set-line':
      await applyLine(connection, operation.line);
      return;
    case 'set-end':
      await write(socket, endSet(connection));
      return;
    case 'reject':
      context.log('warn', `control request refused: ${operation.error.message}`);
      await write(socket, formatErrno(operation.error.errno));
      return;
    case 'close':
      context.log('warn', `control connection closed: ${operation.reason}`);
      if (connection.set) {
        connection.set.error ??= operation.error;
        endSet(connection);
      }
      if (operation.error) await write(socket, formatErrno(operation.error.errno));
      // Whatever else the client sends is not wanted: drop the connection once the answer is out.
      socket.end(() => socket.destroy());
      return;
  }
}

/**
 * Parses and applies one line, unless an earlier one failed: then the rest of
 * the request is read and dropped. A promise only for a step that has to wait.
 */
function applyLine(connection: Connection, line: string): Promise<void> | undefined {
  const set = connection.set;
  if (!set || set.error) return undefined;
  const failed = (error: unknown) => {
    set.error = asUapiError(connection.context, error);
  };
  try {
    const pending = set.session.apply(set.parser.parse(line));
    return pending ? pending.catch(failed) : undefined;
  } catch (error) {
    failed(error);
    return undefined;
  }
}

/** Ends the request in progress and lets the next operation at the device; returns the answer. */
function endSet(connection: Connection): string {
  const set = connection.set;
  if (!set) return formatErrno(0);
  connection.set = undefined;
  try {
    set.session.end();
  } catch (error) {
    set.error ??= asUapiError(connection.context, error);
  } finally {
    set.release();
  }
  return formatErrno(set.error?.errno ?? 0);
}

function abandonSet(connection: Connection): void {
  if (connection.set) endSet(connection);
}

/** The answer to a get, written as it is made; a failure before any of it is sent is answered with its errno. */
async function writeGet(connection: Connection): Promise<void> {
  const { socket, context } = connection;
  let sent = false;
  try {
    for (const chunk of formatGetChunks(context.device.get())) {
      sent = true;
      await write(socket, chunk);
      if (socket.destroyed) return;
    }
  } catch (error) {
    const failure = asUapiError(context, error);
    // Halfway through, the client could not tell an errno from the answer's text: it is cut off instead.
    if (sent) socket.destroy();
    else await write(socket, formatErrno(failure.errno));
  }
}

function asUapiError(context: ConnectionContext, error: unknown): UapiError {
  if (error instanceof UapiError) {
    context.log('warn', `control request failed: ${error.message}`);
    return error;
  }
  context.log('error', `control request failed unexpectedly: ${(error as Error)?.stack ?? String(error)}`);
  return new UapiError(ENOANO, 'internal error');
}

/** Resolves once the text is handed to the kernel, or the client is gone. */
function write(socket: Socket, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed || !socket.writable) return resolve();
    if (socket.write(text)) return resolve();
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
