// What the config module reports: errors (the file is refused) and lint warnings
// (the file works but probably not as meant). Codes are stable API: the app and
// tests match on them, people read the message.

export const CONFIG_ERROR_CODES = [
  'file-too-large',
  'not-utf8',
  'nul-byte',
  'too-many-errors',
  'unknown-section',
  'duplicate-interface',
  'missing-interface',
  'key-outside-section',
  'wrong-section',
  'unknown-key',
  'expected-key-value',
  'missing-value',
  'duplicate-key',
  'missing-public-key',
  'bad-key-format',
  'bad-key-length',
  'not-a-number',
  'out-of-range',
  'bad-address',
  'bad-network',
  'bad-endpoint',
  'bad-dns',
  'bad-table',
  'bad-boolean',
] as const;

export const CONFIG_WARNING_CODES = [
  'duplicate-peer',
  'peer-is-self',
  'overlapping-allowed-ips',
  'allowed-ip-host-bits',
  'no-peers',
  'no-endpoint',
  'dns-leak',
  'mtu-out-of-range',
  'scripts-present',
  'missing-private-key',
] as const;

export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[number];
export type ConfigWarningCode = (typeof CONFIG_WARNING_CODES)[number];

interface DiagnosticBase {
  /** 1-based; 0 when the problem belongs to the whole file. */
  readonly line: number;
  /** 1-based column of the offending text, 0 with line 0. */
  readonly column: number;
  /** The key as the file spells it, when the problem is about one key. */
  readonly key?: string;
  /** A full sentence without the line number, e.g. "AllowedIPs: '10.0.0.300/32' is not an IPv4 or IPv6 network". */
  readonly message: string;
}

export interface ConfigError extends DiagnosticBase {
  readonly severity: 'error';
  readonly code: ConfigErrorCode;
}

export interface ConfigWarning extends DiagnosticBase {
  readonly severity: 'warning';
  readonly code: ConfigWarningCode;
}

export type ConfigDiagnostic = ConfigError | ConfigWarning;

/** "line 7: AllowedIPs: '10.0.0.300/32' is not an IPv4 or IPv6 network" */
export function formatDiagnostic(diagnostic: ConfigDiagnostic): string {
  return diagnostic.line > 0 ? `line ${diagnostic.line}: ${diagnostic.message}` : diagnostic.message;
}

const QUOTE_LIMIT = 60;

/** Quotes user text for a message: shortened, with control characters made visible. */
export function quote(text: string): string {
  const shown = text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT - 3)}...` : text;
  // eslint-disable-next-line no-control-regex
  const visible = shown.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `'${visible}'`;
}
