// What `wg-quick strip` prints: the file without the keys wg-quick handles itself,
// i.e. exactly what it would hand to `wg setconf`. Lines are kept as written,
// comments included, so the output matches wg-quick's byte for byte.
import type { ConfigError } from './diagnostics.js';
import { INTERFACE_KEYS } from './grammar.js';
import { splitSourceLines } from './lines.js';
import { parseConfig } from './parse.js';

const WG_QUICK_KEYS: ReadonlySet<string> = new Set(
  INTERFACE_KEYS.filter((spec) => !spec.wg).map((spec) => spec.name.toLowerCase()),
);

const isBlank = (char: string) => char === ' ' || char === '\t';

/**
 * Bash's `read -r` drops surrounding spaces and tabs (not CRs) from each line.
 * Scanned from both ends: /[ \t]+$/ would try every blank of a run that does
 * not end the line, quadratic in the run's length.
 */
function readLikeBash(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isBlank(text[start]!)) start++;
  while (end > start && isBlank(text[end - 1]!)) end--;
  return text.slice(start, end);
}

export type StripResult =
  { readonly ok: true; readonly text: string } | { readonly ok: false; readonly errors: readonly ConfigError[] };

/**
 * Strips a file that parses; refuses one that does not. A leading byte order mark
 * is dropped (wg-quick would pass it on, and wg setconf would then fail).
 */
export function stripConfig(text: string): StripResult {
  const parsed = parseConfig(text);
  if (!parsed.ok) return parsed;
  let inInterface = false;
  let out = '';
  const lines = splitSourceLines(text);
  // `read` reports a last line without '\n' only if something is left of it after trimming.
  if (!text.endsWith('\n') && readLikeBash(lines[lines.length - 1]?.text ?? '') === '') lines.pop();
  for (const line of lines) {
    const key = line.content.split('=', 1)[0]!.trimEnd().toLowerCase();
    if (key.startsWith('[')) inInterface = key === '[interface]';
    if (inInterface && WG_QUICK_KEYS.has(key)) continue;
    out += `${readLikeBash(line.text)}\n`;
  }
  // wg-quick prints its collected lines with echo, which adds one more newline.
  return { ok: true, text: `${out}\n` };
}
