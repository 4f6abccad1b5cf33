// One client of the control socket: the hello, then requests answered by id
// (several may be under way at once), and the events it subscribed to. Whatever
// a client sends, the worst it gets is an error reply or a closed connection.
import type { Socket } from 'node:net';
import {
  decodeClientMessage,
  encodeMessage,
  incompatibility,
  MessageReader,
  PROTOCOL_VERSION,
  RequestError,
  type HelperMessage,
  type ProtocolError,
  type Request,
  type RpcError,
  type Topic,
} from '../rpc/index.js';
import { MAX_BOOT_TUNNELS, type BootTunnels } from './boot-tunnels.js';
import type { TunnelManager } from './tunnel-manager.js';

export interface ConnectionContext {
  readonly manager: TunnelManager;
  readonly boot: BootTunnels;
  readonly helperVersion: string;
  /** A client that has not said hello by then is dropped. */
  readonly helloTimeoutMs: number;
}

/** A client this far behind in reading its replies and events is dropped rather than buffered for. */
const MAX_UNREAD_BYTES = 16 * 1024 * 1024;

function errorBody(error: RequestError | ProtocolError): RpcError {
  const configErrors = error instanceof RequestError ? error.configErrors : undefined;
  return { code: error.code, message: error.message, ...(configErrors ? { configErrors: [...configErrors] } : {}) };
}

export class ClientConnection {
  private readonly reader = new MessageReader();
  private readonly topics = new Set<Topic>();
  private greeted = false;
  /** Who the client said it is in its hello. */
  private client = '';
  private readonly helloTimer: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    private readonly context: ConnectionContext,
  ) {
    this.helloTimer = setTimeout(() => socket.destroy(), context.helloTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => clearTimeout(this.helloTimer));
    // A client that hangs up mid-write is its own problem, not the helper's.
    socket.on('error', () => {});
  }

  wants(topic: Topic): boolean {
    return this.topics.has(topic);
  }

  send(message: HelperMessage): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    if (this.socket.writableLength > MAX_UNREAD_BYTES) {
      this.context.manager.log(
        'warn',
        'helper',
        undefined,
        'dropping a control client that does not read what it is sent',
      );
      this.socket.destroy();
      return;
    }
    this.socket.write(encodeMessage(message));
  }

  private receive(chunk: Buffer): void {
    for (const frame of this.reader.push(chunk)) {
      if (this.socket.destroyed) return;
      if (frame.kind === 'error') this.refuse(frame.error);
      else this.take(frame.value);
    }
  }

  private refuse(error: ProtocolError | RequestError, id?: number): void {
    this.context.manager.log('warn', 'helper', undefined, `control request refused: ${error.message}`);
    if (id === undefined) this.send({ type: 'error', error: errorBody(error) });
    else this.send({ type: 'reply', id, ok: false, error: errorBody(error) });
  }

  private take(value: unknown): void {
    const decoded = decodeClientMessage(value);
    if (!decoded.ok) {
      this.refuse(decoded.error, decoded.id);
      return;
    }
    const message = decoded.message;
    if (message.type === 'hello') {
      this.hello(message.protocolVersion, message.client);
      return;
    }
    if (!this.greeted) {
      this.refuse(
        new RequestError('hello-required', 'say hello first: {"type":"hello","protocolVersion":N,"client":"..."}'),
        message.id,
      );
      return;
    }
    void this.answer(message);
  }

  private hello(protocolVersion: number, client: string): void {
    const problem = this.greeted ? 'hello was already said on this connection' : incompatibility(protocolVersion);
    if (problem) {
      const code = this.greeted ? 'hello-required' : 'incompatible-version';
      this.send({ type: 'error', error: { code, message: problem } });
      if (!this.greeted) this.socket.end();
      return;
    }
    this.greeted = true;
    this.client = client;
    clearTimeout(this.helloTimer);
    this.send({ type: 'hello', protocolVersion: PROTOCOL_VERSION, helperVersion: this.context.helperVersion });
  }

  private async answer(request: Request): Promise<void> {
    try {
      this.send({ type: 'reply', id: request.id, ok: true, result: await this.perform(request) });
    } catch (error) {
      const failure =
        error instanceof RequestError ? error : new RequestError('internal-error', (error as Error).message);
      if (!(error instanceof RequestError))
        this.context.manager.log('error', 'helper', undefined, `${request.method} failed: ${failure.message}`);
      this.send({ type: 'reply', id: request.id, ok: false, error: errorBody(failure) });
    }
  }

  private async perform(request: Request): Promise<unknown> {
    const manager = this.context.manager;
    switch (request.method) {
      case 'tunnel.up': {
        const { replaced, ...tunnel } = await manager.up(request.params, this.client);
        return { tunnel, replaced };
      }
      case 'tunnel.down':
        await manager.down(request.params.name);
        return {};
      case 'tunnel.list':
        return { tunnels: manager.list() };
      case 'status': {
        const stats = new Map(manager.stats().map((entry) => [entry.tunnel, entry]));
        const tunnels = manager.list().map((summary) => {
          const entry = stats.get(summary.name);
          return entry ? { summary, stats: entry } : { summary };
        });
        return { helperVersion: this.context.helperVersion, protocolVersion: PROTOCOL_VERSION, tunnels };
      }
      case 'subscribe':
        for (const topic of request.params.topics) this.topics.add(topic);
        return { topics: [...this.topics] };
      case 'unsubscribe':
        for (const topic of request.params.topics) this.topics.delete(topic);
        return { topics: [...this.topics] };
      case 'boot.list':
        return { tunnels: await this.context.boot.names() };
      case 'boot.set': {
        manager.validate(request.params.configText);
        const marked = await this.context.boot.names();
        if (!marked.includes(request.params.name) && marked.length >= MAX_BOOT_TUNNELS) {
          throw new RequestError(
            'limit-reached',
            `${MAX_BOOT_TUNNELS} tunnels already connect at boot: unmark one first`,
          );
        }
        await this.context.boot.save(request.params);
        manager.log('info', 'helper', request.params.name, 'marked to connect at boot');
        return {};
      }
      case 'boot.unset':
        await this.context.boot.remove(request.params.name);
        manager.log('info', 'helper', request.params.name, 'no longer connects at boot');
        return {};
    }
  }
}
