// WireflyApi over the browser shell's WebSocket, for the renderer when it runs
// in a plain browser. Browser-only TypeScript: no Node imports.
import { ApiError, API_CALLS, API_SUBSCRIPTIONS } from './api-protocol.js';
import type { ApiCall, ApiEventPayloads, ApiSubscription, CallMessage, ServerMessage } from './api-protocol.js';
import type { WireflyApi } from './wirefly-api.js';

/** The API endpoint of the browser shell that served this page; the page's `?token=` goes along. */
export function browserShellApiUrl(location: {
  readonly protocol: string;
  readonly host: string;
  readonly search: string;
}): string {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api?token=${encodeURIComponent(token)}`;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Connects at once; calls made before the socket opens wait for it. After the socket closes every call fails. */
export function connectWireflyApi(url: string, WebSocketClass: typeof WebSocket = WebSocket): WireflyApi {
  const socket = new WebSocketClass(url);
  const pending = new Map<number, Pending>();
  const listeners = new Map<ApiSubscription, Set<(payload: never) => void>>(
    API_SUBSCRIPTIONS.map((name) => [name, new Set()]),
  );
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve());
    socket.addEventListener('close', () => reject(new ApiError('the connection to Wirefly closed', 'disconnected')));
  });
  opened.catch(() => undefined);
  let nextId = 1;
  let closed = false;

  socket.addEventListener('message', (event: MessageEvent) => {
    const message = JSON.parse(String(event.data)) as ServerMessage;
    if (message.type === 'event') {
      for (const listener of listeners.get(message.subscription) ?? []) listener(message.payload as never);
      return;
    }
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.ok) waiting.resolve(message.value);
    else waiting.reject(new ApiError(message.error.message, message.error.code));
  });
  socket.addEventListener('close', () => {
    closed = true;
    for (const waiting of pending.values())
      waiting.reject(new ApiError('the connection to Wirefly closed', 'disconnected'));
    pending.clear();
  });

  async function call(method: ApiCall, args: unknown[]): Promise<unknown> {
    await opened;
    if (closed) throw new ApiError('the connection to Wirefly closed', 'disconnected');
    const id = nextId++;
    const message: CallMessage = { type: 'call', id, method, args };
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify(message));
    });
  }

  function subscribe<K extends ApiSubscription>(name: K) {
    return (listener: (payload: ApiEventPayloads[K]) => void): (() => void) => {
      const set = listeners.get(name)!;
      const own = listener as (payload: never) => void;
      set.add(own);
      return () => void set.delete(own);
    };
  }

  const calls = API_CALLS.map((method) => [method, (...args: unknown[]) => call(method, args)]);
  const subscriptions = API_SUBSCRIPTIONS.map((name) => [name, subscribe(name)]);
  // The transport is untyped; the server checks every argument and the shapes follow WireflyApi.
  return Object.fromEntries([...calls, ...subscriptions]) as WireflyApi;
}
