// How WireflyApi crosses a process boundary, shared by both transports (the
// Electron IPC and the browser shell's WebSocket) and both ends. Pure: no Node,
// no DOM, no Electron.
import type { HelperState, LogLine, TunnelStats, TunnelSummary, WireflyApi } from './wirefly-api.js';

/** Every member of WireflyApi: a call answered once, or an event subscription. The Record type makes the compiler list them all. */
const API_SHAPE: Record<keyof WireflyApi, 'call' | 'event'> = {
  listTunnels: 'call',
  getConfig: 'call',
  saveConfig: 'call',
  createTunnel: 'call',
  renameTunnel: 'call',
  deleteTunnel: 'call',
  importFiles: 'call',
  exportAll: 'call',
  exportTunnel: 'call',
  setKillSwitch: 'call',
  activate: 'call',
  deactivate: 'call',
  getHelperState: 'call',
  getHelperService: 'call',
  startHelper: 'call',
  installHelperService: 'call',
  setConnectAtBoot: 'call',
  getSettings: 'call',
  saveSettings: 'call',
  getLogs: 'call',
  onTunnels: 'event',
  onStats: 'event',
  onLog: 'event',
  onHelperState: 'event',
};

type CallName = { [K in keyof WireflyApi]: K extends `on${string}` ? never : K }[keyof WireflyApi];
export type ApiCall = CallName;
export type ApiSubscription = Exclude<keyof WireflyApi, ApiCall>;

export const API_CALLS = Object.keys(API_SHAPE).filter(
  (key) => API_SHAPE[key as keyof WireflyApi] === 'call',
) as ApiCall[];
export const API_SUBSCRIPTIONS = Object.keys(API_SHAPE).filter(
  (key) => API_SHAPE[key as keyof WireflyApi] === 'event',
) as ApiSubscription[];

/** What each subscription delivers. */
export interface ApiEventPayloads {
  onTunnels: TunnelSummary[];
  onStats: TunnelStats;
  onLog: LogLine;
  onHelperState: HelperState;
}

export function isApiCall(name: unknown): name is ApiCall {
  return typeof name === 'string' && (API_CALLS as readonly string[]).includes(name);
}

// ---- Electron IPC channel names (the sandboxed preload spells them out too; a test keeps them equal) ----

export const IPC_CALL_PREFIX = 'wirefly:call:';
export const IPC_EVENT_PREFIX = 'wirefly:event:';

// ---- WebSocket messages ----

export interface CallMessage {
  readonly type: 'call';
  readonly id: number;
  readonly method: ApiCall;
  readonly args: readonly unknown[];
}

export interface ApiFailure {
  readonly message: string;
  /** A stable code when the failure has one (store and helper errors). */
  readonly code?: string;
}

export type ResultMessage =
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'result'; readonly id: number; readonly ok: false; readonly error: ApiFailure };

export interface EventMessage<K extends ApiSubscription = ApiSubscription> {
  readonly type: 'event';
  readonly subscription: K;
  readonly payload: ApiEventPayloads[K];
}

export type ServerMessage = ResultMessage | EventMessage;

/** An Error that came back over a transport, with the code the other side gave it. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function toApiFailure(error: unknown): ApiFailure {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? { message, code } : { message };
}
