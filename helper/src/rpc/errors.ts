// The error codes of the protocol. Codes are stable API (the app matches on
// them); messages are for people.

export const RPC_ERROR_CODES = [
  /** The line is not JSON, or not a message of this protocol. */
  'bad-message',
  /** The line is longer than MAX_MESSAGE_BYTES; it was discarded unread. */
  'message-too-large',
  /** A request for a method the helper does not have. */
  'unknown-method',
  /** A request before the hello, or a second hello. */
  'hello-required',
  'incompatible-version',
  /** The config text does not parse; details.configErrors says where. */
  'invalid-config',
  /** The config has PreUp/PostUp/PreDown/PostDown and the helper's settings do not allow scripts. */
  'scripts-not-allowed',
  'tunnel-exists',
  'no-such-tunnel',
  /** The tunnel is coming up or going down; try again when it has. */
  'tunnel-busy',
  /** The tunnel would claim what an active one holds (a route, DNS, an address, a port); the message says which and why. */
  'tunnel-conflict',
  /** Starting the engine or changing the system failed; the message says how. */
  'tunnel-failed',
  /** More tunnels marked to connect at boot than the helper keeps. */
  'limit-reached',
  'internal-error',
] as const;

export type RpcErrorCode = (typeof RPC_ERROR_CODES)[number];

/** A message the protocol layer refuses; the reader reports these, it never throws them. */
export class ProtocolError extends Error {
  constructor(
    readonly code: RpcErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export interface ConfigErrorInfo {
  readonly line: number;
  readonly column: number;
  readonly key?: string;
  readonly code: string;
  readonly message: string;
}

/** A request that failed: the helper throws it to answer with an error reply, a client gets it back from one. */
export class RequestError extends Error {
  constructor(
    readonly code: RpcErrorCode,
    message: string,
    /** With 'invalid-config': every error of the config text, with its line. */
    readonly configErrors?: readonly ConfigErrorInfo[],
  ) {
    super(message);
    this.name = 'RequestError';
  }
}
