// The browser shell: the whole app in any browser. An HTTP server on 127.0.0.1
// serves the built renderer, and a WebSocket at /api serves WireflyApi, both
// only to holders of this run's random token and the socket only to pages of
// this very server.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { API_SUBSCRIPTIONS, isApiCall, toApiFailure } from '../api/api-protocol.js';
import type { ResultMessage, ServerMessage } from '../api/api-protocol.js';
import type { WireflyApi } from '../api/wirefly-api.js';
import { dispatchCall } from '../services/dispatch.js';
import { contentSecurityPolicy, isAuthorized, isOwnHost, isOwnOrigin, tokenCookieName } from './access.js';
import type { ShellAddress } from './access.js';
import { findStaticFile } from './static-files.js';

export const BROWSER_SHELL_HOST = '127.0.0.1';
/** Imports carry whole zip archives as base64. */
const MAX_MESSAGE_BYTES = 192 * 1024 * 1024;

export interface BrowserShellOptions {
  readonly api: WireflyApi;
  /** The renderer's build output (dist/renderer). */
  readonly rendererDir: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly token?: string;
}

export interface BrowserShell {
  /** Open this: it carries the token. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

export async function startBrowserShell(options: BrowserShellOptions): Promise<BrowserShell> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const address: { port: number; token: string } = { port: 0, token };
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const server = createServer((request, response) => void serveHttp(request, response, address, options.rendererDir));
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!acceptsUpgrade(request, address)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (client) => serveApi(client, options.api));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, BROWSER_SHELL_HOST, () => resolve());
  });
  address.port = (server.address() as AddressInfo).port;
  return {
    url: `http://${BROWSER_SHELL_HOST}:${address.port}/?token=${token}`,
    port: address.port,
    token,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function acceptsUpgrade(request: IncomingMessage, address: ShellAddress): boolean {
  const path = new URL(request.url ?? '/', 'http://shell').pathname;
  return path === '/api' && isAuthorized(request, address) && isOwnOrigin(request.headers.origin, address);
}

async function serveHttp(
  request: IncomingMessage,
  response: ServerResponse,
  address: ShellAddress,
  rendererDir: string,
): Promise<void> {
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('Cache-Control', 'no-store');
  if (!isOwnHost(request.headers.host, address))
    return refuse(response, 421, 'this server answers only to its loopback address');
  if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, 'only GET');
  if (!isAuthorized(request, address))
    return refuse(response, 403, 'open the URL that `npm run web` printed: it carries the token');
  const file = await findStaticFile(rendererDir, new URL(request.url ?? '/', 'http://shell').pathname);
  if (!file) return refuse(response, 404, 'not found');
  if (file.isDocument) {
    response.setHeader('Content-Security-Policy', contentSecurityPolicy(address.port));
    response.setHeader(
      'Set-Cookie',
      `${tokenCookieName(address.port)}=${address.token}; Path=/; HttpOnly; SameSite=Strict`,
    );
  }
  response.writeHead(200, { 'Content-Type': file.contentType, 'Content-Length': file.body.length });
  response.end(request.method === 'HEAD' ? undefined : file.body);
}

function refuse(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(`${message}\n`);
}

/** One browser tab: its calls answered, every event pushed to it until it goes. */
function serveApi(client: WebSocket, api: WireflyApi): void {
  const send = (message: ServerMessage): void => {
    if (client.readyState === client.OPEN) client.send(JSON.stringify(message));
  };
  const unsubscribes = API_SUBSCRIPTIONS.map((subscription) =>
    (api[subscription] as (listener: (payload: unknown) => void) => () => void)((payload) =>
      send({ type: 'event', subscription, payload } as ServerMessage),
    ),
  );
  client.on('close', () => unsubscribes.forEach((unsubscribe) => unsubscribe()));
  client.on('message', (data) => void answer(String(data), api, send, () => client.close(1008, 'not a call')));
}

async function answer(
  text: string,
  api: WireflyApi,
  send: (message: ResultMessage) => void,
  hangUp: () => void,
): Promise<void> {
  let message: Partial<Record<'type' | 'id' | 'method' | 'args', unknown>>;
  try {
    message = JSON.parse(text) ?? {};
  } catch {
    return hangUp();
  }
  const id = message.id;
  if (message.type !== 'call' || typeof id !== 'number' || !Number.isSafeInteger(id)) return hangUp();
  if (!isApiCall(message.method)) {
    return send({
      type: 'result',
      id,
      ok: false,
      error: { message: `there is no method ${String(message.method).slice(0, 64)}`, code: 'unknown-method' },
    });
  }
  try {
    const value = await dispatchCall(api, message.method, message.args);
    send({ type: 'result', id, ok: true, value });
  } catch (error) {
    send({ type: 'result', id, ok: false, error: toApiFailure(error) });
  }
}
