// What the editor shows about the text as it is typed: the config module's
// errors and lint warnings, the public key of the PrivateKey line, and whether
// the tunnel routes everything (which is when a kill switch makes sense).
import { checkConfig, keyFromBase64, keyToBase64, publicKeyFromPrivate } from '../../../helper/src/config/index.js';
import type { ConfigDiagnostic, WgQuickConfig } from '../../../helper/src/config/index.js';
import type { ConfigIssue } from '../../../app/src/api/wirefly-api.js';
import { findPrivateKeyValue } from './private-key.js';

export interface ConfigAnalysis {
  /** Errors first, then warnings, each in line order. */
  readonly issues: readonly ConfigIssue[];
  readonly errorCount: number;
  /** Derived from PrivateKey whenever that line holds a valid key, even if other lines do not parse. */
  readonly publicKey: string | undefined;
  readonly fullTunnel: boolean;
}

function toIssue(diagnostic: ConfigDiagnostic): ConfigIssue {
  const { severity, line, column, key, code, message } = diagnostic;
  return key === undefined ? { severity, line, column, code, message } : { severity, line, column, key, code, message };
}

function derivedPublicKey(text: string): string | undefined {
  const written = findPrivateKeyValue(text);
  const privateKey = written && keyFromBase64(written.text);
  return privateKey && keyToBase64(publicKeyFromPrivate(privateKey));
}

/** A peer that takes 0.0.0.0/0 or ::/0 carries all traffic of its family. */
export function routesAllTraffic(config: WgQuickConfig): boolean {
  return config.peers.some((peer) => peer.allowedIps.some((cidr) => cidr.prefix === 0));
}

const MAX_ROUNDS = 3;

/**
 * The lint warnings of the lines that are right, while others still have
 * errors: the erroneous lines are set aside (blanked, so every line keeps its
 * number) and the rest checked again, a few rounds at most. A warning about a
 * key that an erroneous line sets (a "missing" PrivateKey whose line is only
 * mistyped) is left out: the error already says it.
 */
function warningsDespiteErrors(text: string, errors: readonly ConfigDiagnostic[]): ConfigDiagnostic[] {
  const lines = text.split('\n');
  const brokenKeys = new Set<string>();
  let pending = errors;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const lineErrors = pending.filter((error) => error.line > 0 && error.line <= lines.length);
    if (lineErrors.length === 0) return [];
    for (const error of lineErrors) {
      // A section whose header is set aside is still there for the person: "no peers" would be wrong.
      if (/^\s*\[peer\]/i.test(lines[error.line - 1] ?? '')) brokenKeys.add('[peer]');
      lines[error.line - 1] = '';
      if (error.key) brokenKeys.add(error.key.toLowerCase());
    }
    const check = checkConfig(lines.join('\n'));
    if (check.config)
      return check.warnings.filter(
        (w) => !(w.key && brokenKeys.has(w.key.toLowerCase())) && !(w.code === 'no-peers' && brokenKeys.has('[peer]')),
      );
    pending = check.errors;
  }
  return [];
}

export function analyzeConfig(text: string): ConfigAnalysis {
  const check = checkConfig(text);
  const byLine = (a: ConfigIssue, b: ConfigIssue): number => a.line - b.line || a.column - b.column;
  const errors = check.errors.map(toIssue).sort(byLine);
  const warnings = (check.config ? check.warnings : warningsDespiteErrors(text, check.errors))
    .map(toIssue)
    .sort(byLine);
  return {
    issues: [...errors, ...warnings],
    errorCount: errors.length,
    publicKey: derivedPublicKey(text),
    fullTunnel: check.config !== undefined && routesAllTraffic(check.config),
  };
}
