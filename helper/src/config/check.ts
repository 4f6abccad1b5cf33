// Parse and lint in one step: what `wirefly config check` and the editor show.
import type { ConfigError, ConfigWarning } from './diagnostics.js';
import { lintConfig } from './lint.js';
import type { ConfigLocations, WgQuickConfig } from './model.js';
import { parseConfig, parseConfigBytes } from './parse.js';
import type { ParseResult } from './parse.js';

export interface ConfigCheck {
  /** Present when there are no errors. */
  readonly config?: WgQuickConfig;
  readonly locations?: ConfigLocations;
  readonly errors: readonly ConfigError[];
  readonly warnings: readonly ConfigWarning[];
}

function withLint(parsed: ParseResult): ConfigCheck {
  if (!parsed.ok) return { errors: parsed.errors, warnings: [] };
  return {
    config: parsed.config,
    locations: parsed.locations,
    errors: [],
    warnings: lintConfig(parsed.config, parsed.locations),
  };
}

export function checkConfig(text: string): ConfigCheck {
  return withLint(parseConfig(text));
}

export function checkConfigBytes(bytes: Uint8Array): ConfigCheck {
  return withLint(parseConfigBytes(bytes));
}
