// A client of the running helper's control socket: hello, then requests that
// resolve with their validated results or reject with the helper's RequestError.
import { createConnection, type Socket } from 'node:net';
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

export const SOCKET_ENV = 'WIREFLY_HELPER_SOCKET';

interface Pending {
  readonly method: Method;
  resolve(result: unknown): void;
  reject(error: Error): void;
}

function connectionProblem(path: string, error: NodeJS.ErrnoException): Error {
  switch (error.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new Error(`the Wirefly helper is not running (nothing listens on ${path}); start it with: wirefly-helper serve --user UID`);
    case 'EACCES':
    case 'EPERM':
      return new Error(`not permitted to use the Wirefly helper at ${path}: it serves another user`);
    default:
      return new Error(`cannot reach the Wirefly helper at ${path}: ${error.message}`);
  }
}

export class HelperClient {
  private readonly reader = new MessageReader();
  private readonly pending = new Map<number, Pending>();
  private readonly eventListeners = new Set<(event: Event) => void>();
  private nextId = 1;
  private failure: Error | undefined;

  private constructor(private readonly socket: Socket) {}

  /** Connects and says hello; rejects with a message a person can act on. */
  static connect(path: string, clientName: string): Promise<HelperClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      const client = new HelperClient(socket);
      const fail = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      socket.once('error', (error) => fail(connectionProblem(path, error)));
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        socket.on('error', (error) => client.fail(error));
        client.greet(clientName).then(() => resolve(client), fail);
      });
    });
  }

  call<M extends Method>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (result: unknown) => void, reject });
      this.socket.write(encodeMessage({ type: 'request', id, method, params }));
    });
  }

  onEvent(listener: (event: Event) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  close(): void {
    this.socket.end();
  }

  private greet(clientName: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: HelperMessage) => {
        if (message.type === 'hello') resolve();
        else if (message.type === 'error') reject(new RequestError(message.error.code, `the helper refused the connection: ${message.error.message}`));
        else reject(new Error(`the helper answered the hello with a ${message.type}`));
      };
      this.socket.once('close', () => reject(this.failure ?? new Error('the helper closed the connection during the hello')));
      this.listen(onMessage);
      this.socket.write(encodeMessage({ type: 'hello', protocolVersion: PROTOCOL_VERSION, client: clientName }));
    });
  }

  /** Routes the helper's messages: the first goes to `onHello`, replies to their requests, events to listeners. */
  private listen(onHello: (message: HelperMessage) => void): void {
    let greeted = false;
    this.socket.on('data', (chunk: Buffer) => {
      for (const frame of this.reader.push(chunk)) {
        const decoded = frame.kind === 'message' ? decodeHelperMessage(frame.value) : { ok: false as const, error: frame.error };
        if (!decoded.ok) {
          this.fail(new Error(`the helper sent something unreadable: ${decoded.error.message}`));
          return;
        }
        if (!greeted) {
          greeted = true;
          onHello(decoded.message);
        } else {
          this.dispatch(decoded.message);
        }
      }
    });
    this.socket.on('close', () => this.fail(new Error('the helper closed the connection')));
  }

  private dispatch(message: HelperMessage): void {
    if (message.type === 'event') {
      for (const listener of this.eventListeners) listener(message);
      return;
    }
    if (message.type === 'error') {
      this.fail(new RequestError(message.error.code, message.error.message));
      return;
    }
    if (message.type !== 'reply') return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (!message.ok) {
      pending.reject(new RequestError(message.error.code, message.error.message, message.error.configErrors));
      return;
    }
    const result = METHODS[pending.method].result.safeParse(message.result);
    if (result.success) pending.resolve(result.data);
    else pending.reject(new Error(`the helper's answer to ${pending.method} does not fit the protocol: ${result.error.message}`));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
    this.socket.destroy();
  }
}
