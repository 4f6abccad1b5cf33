// Every message of the app <-> helper protocol as a zod schema, and the types
// inferred from them. The helper validates what clients send, and clients may
// validate what the helper sends with the very same schemas.
import { z } from 'zod';
import { isInterfaceName, MAX_CONFIG_BYTES } from '../config/index.js';
import { RPC_ERROR_CODES } from './errors.js';

const MAX_TEXT = 4096;

export const TunnelName = z.string().refine(isInterfaceName, {
  message: 'a tunnel name is 1 to 15 characters of letters, digits and _=+.-',
});

export const TunnelState = z.enum(['inactive', 'activating', 'active', 'deactivating', 'error']);
export type TunnelState = z.infer<typeof TunnelState>;

export const TunnelSummary = z.object({
  name: TunnelName,
  state: TunnelState,
  /** What went wrong, when state is 'error'. */
  error: z.string().optional(),
  killSwitch: z.boolean(),
  /** The interface's public key (base64): with the name, what tells one tunnel from another of the same name. */
  publicKey: z.string().max(64).optional(),
  /** Who asked for it: the client's hello ("wirefly-app 0.1.0", "wirefly 0.1.0"), or "boot". */
  startedBy: z.string().max(200).optional(),
});
export type TunnelSummary = z.infer<typeof TunnelSummary>;

export const PeerStats = z.object({
  /** Base64, as wg shows it. */
  publicKey: z.string(),
  endpoint: z.string().optional(),
  /** Unix ms of the latest handshake; absent for never. */
  latestHandshake: z.number().optional(),
  rxBytes: z.number().int().nonnegative(),
  txBytes: z.number().int().nonnegative(),
  allowedIps: z.array(z.string()),
});
export type PeerStats = z.infer<typeof PeerStats>;

export const TunnelStats = z.object({
  tunnel: TunnelName,
  /** Unix ms when the helper read the counters. */
  at: z.number(),
  listenPort: z.number().int(),
  peers: z.array(PeerStats),
});
export type TunnelStats = z.infer<typeof TunnelStats>;

export const LogLevel = z.enum(['debug', 'info', 'warn', 'error']);
export type LogLevel = z.infer<typeof LogLevel>;

export const LogLine = z.object({
  at: z.number(),
  level: LogLevel,
  /** The part of the helper that speaks: the control server and manager, the WireGuard engine, or the system networking. */
  source: z.enum(['helper', 'engine', 'network']),
  tunnel: z.string().optional(),
  message: z.string(),
});
export type LogLine = z.infer<typeof LogLine>;

export const ConfigErrorDetail = z.object({
  line: z.number().int(),
  column: z.number().int(),
  key: z.string().optional(),
  code: z.string(),
  message: z.string(),
});
export type ConfigErrorDetail = z.infer<typeof ConfigErrorDetail>;

export const Topic = z.enum(['state', 'stats', 'logs']);
export type Topic = z.infer<typeof Topic>;

// ---- requests and their results, by method ----

const RequestId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const METHODS = {
  'tunnel.up': {
    params: z.object({
      name: TunnelName,
      configText: z.string().max(MAX_CONFIG_BYTES),
      /** Default: on when a peer routes all of IPv4 or IPv6 (/0), off otherwise. */
      killSwitch: z.boolean().optional(),
      /** Bring the active tunnels this one conflicts with down first; without it such an up is refused (tunnel-conflict). */
      replaceConflicting: z.boolean().optional(),
    }),
    result: z.object({ tunnel: TunnelSummary, replaced: z.array(TunnelName).optional() }),
  },
  'tunnel.down': {
    params: z.object({ name: TunnelName }),
    result: z.object({}),
  },
  'tunnel.list': {
    params: z.object({}),
    result: z.object({ tunnels: z.array(TunnelSummary) }),
  },
  status: {
    params: z.object({}),
    result: z.object({
      helperVersion: z.string(),
      protocolVersion: z.number().int(),
      tunnels: z.array(z.object({ summary: TunnelSummary, stats: TunnelStats.optional() })),
    }),
  },
  subscribe: {
    params: z.object({ topics: z.array(Topic) }),
    result: z.object({ topics: z.array(Topic) }),
  },
  unsubscribe: {
    params: z.object({ topics: z.array(Topic) }),
    result: z.object({ topics: z.array(Topic) }),
  },
  /** The tunnels the helper brings up whenever it starts (with the system, as a service). */
  'boot.list': {
    params: z.object({}),
    result: z.object({ tunnels: z.array(TunnelName) }),
  },
  /** Stores (or replaces) the helper's root-only copy of a tunnel to bring up at boot; the config is validated as for tunnel.up. */
  'boot.set': {
    params: z.object({
      name: TunnelName,
      configText: z.string().max(MAX_CONFIG_BYTES),
      killSwitch: z.boolean().optional(),
    }),
    result: z.object({}),
  },
  'boot.unset': {
    params: z.object({ name: TunnelName }),
    result: z.object({}),
  },
} as const;

export type Method = keyof typeof METHODS;
export type ParamsOf<M extends Method> = z.infer<(typeof METHODS)[M]['params']>;
export type ResultOf<M extends Method> = z.infer<(typeof METHODS)[M]['result']>;

export function isMethod(name: unknown): name is Method {
  return typeof name === 'string' && Object.hasOwn(METHODS, name);
}

// ---- client -> helper ----

export const ClientHello = z.object({
  type: z.literal('hello'),
  protocolVersion: z.number().int(),
  /** Who is asking, for the helper's log: e.g. "wirefly-app 0.1.0". */
  client: z.string().max(200),
});
export type ClientHello = z.infer<typeof ClientHello>;

function requestSchema<M extends Method>(method: M) {
  return z.object({
    type: z.literal('request'),
    id: RequestId,
    method: z.literal(method),
    params: METHODS[method].params,
  });
}

export const Request = z.discriminatedUnion('method', [
  requestSchema('tunnel.up'),
  requestSchema('tunnel.down'),
  requestSchema('tunnel.list'),
  requestSchema('status'),
  requestSchema('subscribe'),
  requestSchema('unsubscribe'),
  requestSchema('boot.list'),
  requestSchema('boot.set'),
  requestSchema('boot.unset'),
]);
export type Request = {
  readonly [M in Method]: { type: 'request'; id: number; method: M; params: ParamsOf<M> };
}[Method];

export const ClientMessage = z.discriminatedUnion('type', [ClientHello, Request]);
export type ClientMessage = ClientHello | Request;

// ---- helper -> client ----

export const HelperHello = z.object({
  type: z.literal('hello'),
  protocolVersion: z.number().int(),
  helperVersion: z.string(),
});
export type HelperHello = z.infer<typeof HelperHello>;

export const RpcError = z.object({
  code: z.enum(RPC_ERROR_CODES),
  message: z.string().max(MAX_TEXT * 4),
  configErrors: z.array(ConfigErrorDetail).optional(),
});
export type RpcError = z.infer<typeof RpcError>;

export const Reply = z.discriminatedUnion('ok', [
  z.object({ type: z.literal('reply'), id: RequestId, ok: z.literal(true), result: z.unknown() }),
  z.object({ type: z.literal('reply'), id: RequestId, ok: z.literal(false), error: RpcError }),
]);
export type Reply = z.infer<typeof Reply>;

/** An error about the connection rather than one request (a bad hello, an unreadable line); the helper may hang up after it. */
export const ConnectionError = z.object({ type: z.literal('error'), error: RpcError });
export type ConnectionError = z.infer<typeof ConnectionError>;

export const Event = z.discriminatedUnion('event', [
  z.object({ type: z.literal('event'), event: z.literal('tunnel.state'), tunnel: TunnelSummary }),
  z.object({ type: z.literal('event'), event: z.literal('tunnel.stats'), stats: TunnelStats }),
  z.object({ type: z.literal('event'), event: z.literal('log'), line: LogLine }),
]);
export type Event = z.infer<typeof Event>;

export const HelperMessage = z.union([HelperHello, Reply, ConnectionError, Event]);
export type HelperMessage = HelperHello | Reply | ConnectionError | Event;
