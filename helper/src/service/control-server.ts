// The helper's control socket for the app and the CLI: any number of clients at
// once, each pushed the events it subscribed to, per-peer stats once a second.
import { createServer, type Socket } from 'node:net';
import type { Topic } from '../rpc/index.js';
import type { BootTunnels } from './boot-tunnels.js';
import { ClientConnection } from './client-connection.js';
import type { ManagerEvent, TunnelManager } from './tunnel-manager.js';
import { currentPlatform } from '../os/platform.js';

export interface ControlServerOptions {
  readonly path: string;
  /** The one user, besides the administrators, who may connect: a uid, or on Windows a SID. */
  readonly user: string;
  readonly manager: TunnelManager;
  readonly boot: BootTunnels;
  readonly helperVersion: string;
  /** Default one second. */
  readonly statsIntervalMs?: number;
  /** Default 10 s. */
  readonly helloTimeoutMs?: number;
  /** Default 256. */
  readonly maxConnections?: number;
}

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

function topicOf(event: ManagerEvent): Topic {
  return event.event === 'log' ? 'logs' : 'state';
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const { manager } = options;
  const clients = new Map<Socket, ClientConnection>();
  const context = {
    manager,
    boot: options.boot,
    helperVersion: options.helperVersion,
    helloTimeoutMs: options.helloTimeoutMs ?? 10_000,
  };
  const server = createServer((socket) => {
    clients.set(socket, new ClientConnection(socket, context));
    socket.once('close', () => clients.delete(socket));
  });
  server.maxConnections = options.maxConnections ?? 256;
  server.on('error', (error) => manager.log('error', 'helper', undefined, `control socket: ${error.message}`));
  await currentPlatform().control.listenForUser(server, options.path, options.user);

  const stopEvents = manager.onEvent((event) => {
    const topic = topicOf(event);
    for (const client of clients.values()) if (client.wants(topic)) client.send(event);
  });
  const statsTimer = setInterval(() => {
    const subscribers = [...clients.values()].filter((client) => client.wants('stats'));
    if (subscribers.length === 0) return;
    for (const stats of manager.stats()) {
      for (const client of subscribers) client.send({ type: 'event', event: 'tunnel.stats', stats });
    }
  }, options.statsIntervalMs ?? 1_000);
  statsTimer.unref();

  return {
    path: options.path,
    async close() {
      clearInterval(statsTimer);
      stopEvents();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of clients.keys()) socket.destroy();
      await closed;
    },
  };
}
