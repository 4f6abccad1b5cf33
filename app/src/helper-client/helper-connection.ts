// One connection to the helper's control socket: the hello (with its version
// check), requests answered by id and validated against the shared schemas, and
// the events the helper pushes. It never reconnects; HelperClient does that.
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import {
  decodeHelperMessage,
  encodeMessage,
  MessageReader,
  METHODS,
  PROTOCOL_VERSION,
  RequestError,
} from '../../../helper/src/rpc/index.js';
import type { Event, HelperMessage, Method, ParamsOf, ResultOf } from '../../../helper/src/rpc/index.js';
import { Listeners } from '../services/listeners.js';

/** The helper speaks another protocol version; the app or the helper needs updating. */
export class IncompatibleHelperError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IncompatibleHelperError';
  }
}

interface Pending {
  readonly method: Method;
  resolve(result: unknown): void;
  reject(error: Error): void;
}

export class HelperConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly events = new Listeners<Event>();
  private readonly closeListeners = new Listeners<Error | undefined>();
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    readonly helperVersion: string,
  ) {}

  /** Connects and says hello; rejects if there is no helper, it does not answer in time, or it speaks another version. */
  static connect(socketPath: string, clientName: string, timeoutMs = 5_000): Promise<HelperConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      const reader = new MessageReader();
      const fail = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error(`the helper at ${socketPath} did not answer the hello within ${timeoutMs} ms`)), timeoutMs);
      const onHello = (chunk: Buffer): void => {
        for (const frame of reader.push(chunk)) {
          if (frame.kind === 'error') return fail(frame.error);
          const decoded = decodeHelperMessage(frame.value);
          if (!decoded.ok) return fail(decoded.error);
          const message = decoded.message;
          if (message.type === 'error') {
            const Failure = message.error.code === 'incompatible-version' ? IncompatibleHelperError : Error;
            return fail(new Failure(message.error.message));
          }
          if (message.type !== 'hello') return fail(new Error(`the helper sent a ${message.type} before its hello`));
          if (message.protocolVersion !== PROTOCOL_VERSION) {
            return fail(new IncompatibleHelperError(`the helper speaks protocol version ${message.protocolVersion} and the app version ${PROTOCOL_VERSION}`));
          }
          clearTimeout(timer);
          socket.off('data', onHello);
          socket.off('error', fail);
          socket.off('close', onEarlyClose);
          const connection = new HelperConnection(socket, message.helperVersion);
          connection.listen(reader);
          return resolve(connection);
        }
      };
      const onEarlyClose = (): void => fail(new Error('the helper closed the connection during the hello'));
      socket.on('data', onHello);
      socket.once('error', fail);
      socket.once('close', onEarlyClose);
      socket.write(encodeMessage({ type: 'hello', protocolVersion: PROTOCOL_VERSION, client: clientName }));
    });
  }

  request<M extends Method>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    if (this.closed) return Promise.reject(new Error('the connection to the helper is closed'));
    const id = this.nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (result: unknown) => void, reject });
      this.socket.write(encodeMessage({ type: 'request', id, method, params }));
    });
  }

  onEvent(listener: (event: Event) => void): () => void {
    return this.events.add(listener);
  }

  /** Called once, with the error if the connection broke rather than being closed. */
  onClose(listener: (error: Error | undefined) => void): () => void {
    return this.closeListeners.add(listener);
  }

  close(): void {
    this.socket.destroy();
  }

  private listen(reader: MessageReader): void {
    let failure: Error | undefined;
    this.socket.on('data', (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) {
        if (frame.kind === 'error') {
          failure = frame.error;
          this.socket.destroy();
          return;
        }
        this.receive(frame.value);
      }
    });
    this.socket.on('error', (error) => (failure = error));
    this.socket.on('close', () => {
      this.closed = true;
      const error = failure ?? new Error('the helper closed the connection');
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
      this.closeListeners.emit(failure);
    });
  }

  private receive(value: unknown): void {
    const decoded = decodeHelperMessage(value);
    if (!decoded.ok) return;
    const message: HelperMessage = decoded.message;
    if (message.type === 'event') this.events.emit(message);
    if (message.type === 'reply') this.settle(message);
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
    if (parsed.success) pending.resolve(parsed.data);
    else pending.reject(new Error(`the helper's answer to ${pending.method} does not match the protocol: ${parsed.error.message}`));
  }
}
