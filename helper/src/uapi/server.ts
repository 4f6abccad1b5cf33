// The control socket wg(8) talks to: /var/run/wireguard/IFNAME.sock, a Unix
// stream socket only root can open, serving get and set operations to any number
// of clients, one operation at a time across all of them, as wireguard-go does.
import { mkdir, unlink } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { ENOANO } from './errno.js';
import { UapiRequestReader, type UapiOperation } from './framing.js';
import { UapiError, type UapiDevice } from './model.js';
import { formatErrno, formatGetResponse, parseSetRequest } from './protocol.js';
import { listenPrivately } from '../os/private-socket.js';

export type UapiLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface UapiServerOptions {
  readonly interfaceName: string;
  readonly device: UapiDevice;
  /** Default /var/run/wireguard, where wg(8) looks. */
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

export const UAPI_SOCKET_DIRECTORY = '/var/run/wireguard';
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_CONNECTIONS = 256;
/** Linux IFNAMSIZ less the terminating NUL; the name also becomes a file name. */
const INTERFACE_NAME = /^(?!\.\.?$)[^/\0\s]{1,15}$/;

/** Listens on SOCKET_DIRECTORY/IFNAME.sock; refuses if a live process already answers there. */
export async function startUapiServer(options: UapiServerOptions): Promise<UapiServer> {
  if (!INTERFACE_NAME.test(options.interfaceName)) {
    throw new Error(`not a usable interface name: ${JSON.stringify(options.interfaceName)}`);
  }
  const directory = options.socketDirectory ?? UAPI_SOCKET_DIRECTORY;
  await mkdir(directory, { recursive: true, mode: 0o755 });
  const path = join(directory, `${options.interfaceName}.sock`);
  const log = options.log ?? (() => {});
  const connections = new Set<Socket>();
  const exclusive = createMutex();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
    serveConnection(socket, { ...options, log, exclusive });
  });
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  await listenPrivately(server, path);
  server.on('error', (error) => log('error', `control socket ${path}: ${error.message}`));
  log('info', `control socket listening on ${path}`);
  return {
    path,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of connections) socket.destroy();
      await closed;
      // Node removes the socket file itself; this covers a file left by an earlier failure.
      await unlink(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    },
  };
}

type Exclusive = <T>(task: () => T | Promise<T>) => Promise<T>;

/** Runs tasks one after another, like wireguard-go's lock around every get and set. */
function createMutex(): Exclusive {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const run = tail.then(task);
    tail = run.catch(() => {});
    return run;
  };
}

interface ConnectionContext {
  readonly device: UapiDevice;
  readonly log: (level: UapiLogLevel, message: string) => void;
  readonly exclusive: Exclusive;
  readonly idleTimeoutMs?: number;
}

function serveConnection(socket: Socket, context: ConnectionContext): void {
  const reader = new UapiRequestReader();
  const queue: UapiOperation[] = [];
  let busy = false;

  // Operations run one at a time; while they do, the client is not read from.
  const drainQueue = async () => {
    busy = true;
    socket.pause();
    for (let operation = queue.shift(); operation; operation = queue.shift()) {
      if (socket.destroyed) return;
      await performOperation(socket, operation, context);
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
}

async function performOperation(socket: Socket, operation: UapiOperation, context: ConnectionContext): Promise<void> {
  switch (operation.kind) {
    case 'get':
      await write(socket, await answer(context, () => formatGetResponse(context.device.get())));
      return;
    case 'set':
      await write(socket, await answer(context, () => applySet(context.device, operation.lines)));
      return;
    case 'reject':
      context.log('warn', `control request refused: ${operation.error.message}`);
      await write(socket, formatErrno(operation.error.errno));
      return;
    case 'close':
      context.log('warn', `control connection closed: ${operation.reason}`);
      if (operation.error) await write(socket, formatErrno(operation.error.errno));
      // Whatever else the client sends is not wanted: drop the connection once the answer is out.
      socket.end(() => socket.destroy());
      return;
  }
}

async function applySet(device: UapiDevice, lines: readonly string[]): Promise<string> {
  await device.set(parseSetRequest(lines));
  return formatErrno(0);
}

/** The text to send back: the operation's own, or the errno it failed with. */
async function answer(context: ConnectionContext, operation: () => string | Promise<string>): Promise<string> {
  try {
    return await context.exclusive(operation);
  } catch (error) {
    if (error instanceof UapiError) {
      context.log('warn', `control request failed: ${error.message}`);
      return formatErrno(error.errno);
    }
    context.log('error', `control request failed unexpectedly: ${(error as Error)?.stack ?? String(error)}`);
    return formatErrno(ENOANO);
  }
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
