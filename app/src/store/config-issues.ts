// The config module's errors and lint warnings as the UI shows them.
import { checkConfig, formatDiagnostic } from '../../../helper/src/config/index.js';
import type { ConfigDiagnostic, WgQuickConfig } from '../../../helper/src/config/index.js';
import type { ConfigIssue } from '../api/wirefly-api.js';

export function toConfigIssue(diagnostic: ConfigDiagnostic): ConfigIssue {
  const { severity, line, column, key, code, message } = diagnostic;
  return { severity, line, column, code, message, ...(key === undefined ? {} : { key }) };
}

export interface CheckedConfig {
  /** Present when the text has no errors. */
  readonly config?: WgQuickConfig;
  readonly issues: ConfigIssue[];
  readonly hasErrors: boolean;
  /** The errors as sentences that name their line, for messages. */
  readonly errorMessages: string[];
}

export function checkConfigText(text: string): CheckedConfig {
  const check = checkConfig(text);
  const issues = [...check.errors, ...check.warnings].map(toConfigIssue);
  return {
    issues,
    hasErrors: check.errors.length > 0,
    errorMessages: check.errors.map(formatDiagnostic),
    ...(check.config ? { config: check.config } : {}),
  };
}

/** Whether some peer takes all of IPv4 or IPv6: the configs the kill switch is meant for. */
export function routesEverything(config: WgQuickConfig): boolean {
  return config.peers.some((peer) => peer.allowedIps.some((cidr) => cidr.prefix === 0));
}
