// The wg-quick configuration module: one import for the helper, the app and the UI.
export * from './model.js';
export * from './diagnostics.js';
export { parseConfig, parseConfigBytes, decodeConfigBytes, MAX_CONFIG_BYTES, MAX_REPORTED_ERRORS } from './parse.js';
export type { ParseResult, DecodeResult } from './parse.js';
export { serializeConfig } from './serialize.js';
export { stripConfig } from './strip.js';
export type { StripResult } from './strip.js';
export { lintConfig, MTU_LINT_MIN, MTU_LINT_MAX } from './lint.js';
export { checkConfig, checkConfigBytes } from './check.js';
export type { ConfigCheck } from './check.js';
export {
  WG_KEY_LEN,
  WG_KEY_LEN_BASE64,
  keyToBase64,
  keyFromBase64,
  parseKeyText,
  generatePrivateKey,
  generatePresharedKey,
  publicKeyFromPrivate,
} from './keys.js';
export { isInterfaceName, interfaceNameFromPath } from './interface-name.js';
