// One connection to the helper's control socket, for every Node client (the app,
// the wirefly CLI, tests): the hello with its version check, requests answered by
// id and validated against the protocol's schemas, and the events the helper
// pushes. It never reconnects; the app's HelperClient does that.
// It lives beside rpc/ rather than in it because rpc/ stays free of node: imports.
import { createConnection, type Socket } from 'node:net';
import { openHelperPipe } from '../os/win32/pipe-client.js';
import {
  decodeHelperMessage,
  encodeMessage,
  MessageReader,
  METHODS,
  PROTOCOL_VERSION,
  RequestError,
  type Event,
  type HelperMessage,
  type Method,
  type ParamsOf,
  type ResultOf,
} from '../rpc/index.js';

export const HELLO_TIMEOUT_MS = 5_000;

interface Pending {
  readonly method: Method;
  resolve(result: unknown): void;
  reject(error: Error): void;
  readonly onReply: ((result: unknown) => void) | undefined;
}

interface Greeting {
  resolve(): void;
  reject(error: Error): void;
}

/**
 * A Unix socket as is; a Windows named pipe only once its server process has
 * been checked to be the helper service (os/win32/pipe-client.ts).
 */
export function openHelperSocket(path: string): Socket {
  return path.startsWith('\\\\.\\pipe\\') ? openHelperPipe(path) : createConnection(path);
}

export class HelperConnection {
  private readonly reader = new MessageReader();
  private readonly pending = new Map<number, Pending>();
  private readonly eventListeners = new Set<(event: Event) => void>();
  private readonly closeListeners = new Set<() => void>();
  private nextId = 1;
  private greeted = false;
  private version = '';
  private failure: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly greeting: Greeting,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.closed());
  }

  /**
   * Connects and says hello. Rejects with the socket's own error when nothing can be
   * reached (its `code` says ENOENT, ECONNREFUSED, EACCES, ...), with a RequestError
   * when the helper refuses the hello ('incompatible-version' also when its hello
   * names another protocol version), and with an Error when it answers with
   * something else, hangs up, or says nothing within `timeoutMs`.
   */
  static connect(
    path: string,
    clientName: string,
    timeoutMs = HELLO_TIMEOUT_MS,
    open: (path: string) => Socket = openHelperSocket,
  ): Promise<HelperConnection> {
    return new Promise((resolve, reject) => {
      let socket: Socket;
      try {
        socket = open(path);
      } catch (error) {
        reject(error as Error);
        return;
      }
      const timer = setTimeout(
        () => connection.fail(new Error(`the helper at ${path} did not answer the hello within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const connection: HelperConnection = new HelperConnection(socket, {
        resolve: () => {
          clearTimeout(timer);
          resolve(connection);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      connection.socket.write(encodeMessage({ type: 'hello', protocolVersion: PROTOCOL_VERSION, client: clientName }));
    });
  }

  /** The version the helper named in its hello. */
  get helperVersion(): string {
    return this.version;
  }

  /**
   * `onReply` sees the result as the reply is read, before any event the helper
   * sent after it, which the awaited promise cannot promise: a snapshot taken
   * there is never newer than the events that follow it.
   */
  request<M extends Method>(
    method: M,
    params: ParamsOf<M>,
    onReply?: (result: ResultOf<M>) => void,
  ): Promise<ResultOf<M>> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      this.pending.set(id, {
        method,
        resolve: resolve as (result: unknown) => void,
        reject,
        onReply: onReply as ((result: unknown) => void) | undefined,
      });
      this.socket.write(encodeMessage({ type: 'request', id, method, params }));
    });
  }

  onEvent(listener: (event: Event) => void): () => void {
    const own = (event: Event): void => listener(event);
    this.eventListeners.add(own);
    return () => this.eventListeners.delete(own);
  }

  /** Called once the socket is closed, by either side or because it broke. */
  onClose(listener: () => void): () => void {
    const own = (): void => listener();
    this.closeListeners.add(own);
    return () => this.closeListeners.delete(own);
  }

  close(): void {
    this.fail(new Error('the connection to the helper is closed'));
  }

  private receive(chunk: Buffer): void {
    for (const frame of this.reader.push(chunk)) {
      if (this.failure) return;
      const decoded =
        frame.kind === 'message' ? decodeHelperMessage(frame.value) : { ok: false as const, error: frame.error };
      if (!decoded.ok) this.fail(new Error(`the helper sent something unreadable: ${decoded.error.message}`));
      else if (this.greeted) this.dispatch(decoded.message);
      else this.greet(decoded.message);
    }
  }

  private greet(message: HelperMessage): void {
    if (message.type === 'error') {
      this.fail(new RequestError(message.error.code, `the helper refused the connection: ${message.error.message}`));
    } else if (message.type !== 'hello') {
      this.fail(new Error(`the helper answered the hello with a ${message.type}`));
    } else if (message.protocolVersion !== PROTOCOL_VERSION) {
      this.fail(
        new RequestError(
          'incompatible-version',
          `the helper speaks protocol version ${message.protocolVersion}, this client version ${PROTOCOL_VERSION}`,
        ),
      );
    } else {
      this.greeted = true;
      this.version = message.helperVersion;
      this.greeting.resolve();
    }
  }

  private dispatch(message: HelperMessage): void {
    if (message.type === 'event') {
      for (const listener of [...this.eventListeners]) listener(message);
    } else if (message.type === 'reply') {
      this.settle(message);
    } else if (message.type === 'error') {
      // Not the answer to a request (that would be a reply), so no request can be told.
      this.fail(new RequestError(message.error.code, message.error.message));
    }
  }

  private settle(reply: Extract<HelperMessage, { type: 'reply' }>): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (!reply.ok) {
      pending.reject(new RequestError(reply.error.code, reply.error.message, reply.error.configErrors));
      return;
    }
    const parsed = METHODS[pending.method].result.safeParse(reply.result);
    if (parsed.success) {
      pending.onReply?.(parsed.data);
      pending.resolve(parsed.data);
    } else
      pending.reject(
        new Error(`the helper's answer to ${pending.method} does not fit the protocol: ${parsed.error.message}`),
      );
  }

  /** The first failure ends the connection: the hello and every open request are rejected with it. */
  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.greeting.reject(error);
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.socket.destroy();
  }

  private closed(): void {
    this.fail(
      new Error(
        this.greeted ? 'the helper closed the connection' : 'the helper closed the connection during the hello',
      ),
    );
    for (const listener of [...this.closeListeners]) listener();
  }
}
