// The app <-> helper protocol: one import for the helper, the app and the CLI.
export * from './schemas.js';
export { PROTOCOL_VERSION, incompatibility } from './version.js';
export { RPC_ERROR_CODES, ProtocolError, RequestError } from './errors.js';
export type { RpcErrorCode, ConfigErrorInfo } from './errors.js';
export { MessageReader, encodeMessage, MAX_MESSAGE_BYTES } from './framing.js';
export type { Frame } from './framing.js';
export { decodeClientMessage, decodeHelperMessage } from './decode.js';
export type { Decoded } from './decode.js';
export { helperRuntimeDirectory, helperSocketPath } from './socket-path.js';
