// Reads a wg-quick configuration file into the typed model, reporting every
// problem of the file (not only the first) with its line, column and key.
import { quote } from './diagnostics.js';
import type { ConfigError, ConfigErrorCode } from './diagnostics.js';
import { emptyInterfaceDraft, emptyPeerDraft, findKey, INTERFACE_KEYS, PEER_KEYS } from './grammar.js';
import type { InterfaceDraft, KeySpec, PeerDraft } from './grammar.js';
import { splitSourceLines } from './lines.js';
import type { SourceLine } from './lines.js';
import type {
  ConfigLocations,
  PeerConfig,
  PeerLocations,
  SectionLocations,
  SourcePosition,
  WgQuickConfig,
} from './model.js';

/** Larger files are refused unread: real configs are a few kilobytes, even with thousands of peers well under this. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Past this many errors the file is not a configuration; the rest would only bury the first ones. */
export const MAX_REPORTED_ERRORS = 100;

export type ParseResult =
  | { readonly ok: true; readonly config: WgQuickConfig; readonly locations: ConfigLocations }
  | { readonly ok: false; readonly errors: readonly ConfigError[] };

function fileError(
  code: ConfigErrorCode,
  message: string,
): { readonly ok: false; readonly errors: readonly ConfigError[] } {
  return { ok: false, errors: [{ severity: 'error', code, line: 0, column: 0, message }] };
}

const TOO_LARGE = `the file is larger than ${MAX_CONFIG_BYTES} bytes (1 MiB), the most a configuration may be; is it the right file?`;

export type DecodeResult =
  { readonly ok: true; readonly text: string } | { readonly ok: false; readonly errors: readonly ConfigError[] };

/** The text of a file: size-checked before decoding, and refused unless UTF-8. */
export function decodeConfigBytes(bytes: Uint8Array): DecodeResult {
  if (bytes.length > MAX_CONFIG_BYTES) return fileError('file-too-large', TOO_LARGE);
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    return fileError(
      'not-utf8',
      'the file is not UTF-8 text; save it as UTF-8 (it may not be a configuration file at all)',
    );
  }
}

export function parseConfigBytes(bytes: Uint8Array): ParseResult {
  const decoded = decodeConfigBytes(bytes);
  return decoded.ok ? parseConfig(decoded.text) : decoded;
}

function utf8Length(text: string, stopAbove: number): number {
  let length = 0;
  for (let i = 0; i < text.length && length <= stopAbove; i++) {
    const unit = text.charCodeAt(i);
    // A surrogate pair is 4 bytes in UTF-8: 2 counted here for each half.
    length += unit < 0x80 ? 1 : unit < 0x800 || (unit >= 0xd800 && unit < 0xe000) ? 2 : 3;
  }
  return length;
}

export function parseConfig(text: string): ParseResult {
  if (utf8Length(text, MAX_CONFIG_BYTES) > MAX_CONFIG_BYTES) return fileError('file-too-large', TOO_LARGE);
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const line = text.slice(0, nul).split('\n').length;
    return fileError('nul-byte', `line ${line} holds a NUL byte: this is binary data, not a configuration file`);
  }
  return new ConfigReader().read(splitSourceLines(text));
}

interface Section<D> {
  readonly keys: readonly KeySpec<D>[];
  readonly draft: D;
  readonly header: SourcePosition;
  readonly seen: Record<string, SourcePosition>;
}

type PeerSection = Section<PeerDraft>;

class TooManyErrors extends Error {}

class ConfigReader {
  private readonly errors: ConfigError[] = [];
  private interfaceSection: Section<InterfaceDraft> | undefined;
  private readonly peerSections: PeerSection[] = [];
  /** The section keys go to; undefined before the first header and after a bad one. */
  private current: Section<InterfaceDraft> | PeerSection | undefined;
  private afterBadHeader = false;

  read(lines: readonly SourceLine[]): ParseResult {
    try {
      for (const line of lines) this.readLine(line);
      this.checkComplete();
    } catch (error) {
      if (!(error instanceof TooManyErrors)) throw error;
    }
    if (this.errors.length > 0) return { ok: false, errors: this.errors };
    return this.result();
  }

  private error(code: ConfigErrorCode, line: number, column: number, message: string, key?: string): void {
    if (this.errors.length >= MAX_REPORTED_ERRORS) {
      this.errors.push({
        severity: 'error',
        code: 'too-many-errors',
        line,
        column,
        message: `stopped after ${MAX_REPORTED_ERRORS} errors`,
      });
      throw new TooManyErrors();
    }
    this.errors.push({ severity: 'error', code, line, column, message, ...(key === undefined ? {} : { key }) });
  }

  private readLine(line: SourceLine): void {
    if (line.content === '') return;
    const column = line.contentStart + 1;
    if (line.content.startsWith('[')) {
      this.readHeader(line.content, { line: line.number, column });
      return;
    }
    const equals = line.content.indexOf('=');
    if (equals < 0) {
      this.error(
        'expected-key-value',
        line.number,
        column,
        `${quote(line.content)} is neither a [Section] nor a 'Key = value' line`,
      );
      return;
    }
    const keyText = line.content.slice(0, equals).trimEnd();
    const rawValue = line.content.slice(equals + 1);
    const value = rawValue.trim();
    const valueColumn = column + equals + 1 + (rawValue.length - rawValue.trimStart().length);
    this.readKey(line.number, column, keyText, value, valueColumn);
  }

  private readHeader(text: string, at: SourcePosition): void {
    const name = text.toLowerCase();
    this.afterBadHeader = false;
    if (name === '[interface]') {
      if (this.interfaceSection) {
        this.error(
          'duplicate-interface',
          at.line,
          at.column,
          `a second [Interface] section (the first is on line ${this.interfaceSection.header.line}): merge them into one`,
        );
        this.current = undefined;
        this.afterBadHeader = true;
        return;
      }
      this.interfaceSection = { keys: INTERFACE_KEYS, draft: emptyInterfaceDraft(), header: at, seen: {} };
      this.current = this.interfaceSection;
    } else if (name === '[peer]') {
      const section: PeerSection = { keys: PEER_KEYS, draft: emptyPeerDraft(), header: at, seen: {} };
      this.peerSections.push(section);
      this.current = section;
    } else {
      this.error(
        'unknown-section',
        at.line,
        at.column,
        `${quote(text)} is not a section: a file has one [Interface] and any number of [Peer] sections`,
      );
      this.current = undefined;
      this.afterBadHeader = true;
    }
  }

  private readKey(lineNumber: number, column: number, keyText: string, value: string, valueColumn: number): void {
    const section = this.current;
    if (!section) {
      // Keys under a refused header were already explained by that header's error.
      if (!this.afterBadHeader) {
        this.error(
          'key-outside-section',
          lineNumber,
          column,
          `${quote(keyText)}: keys go under an [Interface] or [Peer] header, and this one comes before any`,
          keyText,
        );
      }
      return;
    }
    const spec = findKey<unknown>(section.keys as readonly KeySpec<unknown>[], keyText);
    if (!spec) {
      this.reportUnknownKey(section, lineNumber, column, keyText);
      return;
    }
    if (value === '') {
      this.error('missing-value', lineNumber, valueColumn, `${spec.name}: the value is missing after '='`, spec.name);
      return;
    }
    const earlier = section.seen[spec.name];
    if (earlier && !spec.repeatable) {
      this.error(
        'duplicate-key',
        lineNumber,
        column,
        `${spec.name}: already set on line ${earlier.line}; keep only one`,
        spec.name,
      );
      return;
    }
    section.seen[spec.name] ??= { line: lineNumber, column };
    const position = (offset: number): SourcePosition => ({ line: lineNumber, column: valueColumn + offset });
    spec.apply({
      draft: section.draft,
      value,
      position,
      problem: (code, problem, offset) =>
        this.error(code, lineNumber, valueColumn + offset, `${spec.name}: ${problem}`, spec.name),
    });
  }

  private reportUnknownKey(section: Section<unknown>, lineNumber: number, column: number, keyText: string): void {
    const inInterface = section === this.interfaceSection;
    const here = inInterface ? '[Interface]' : '[Peer]';
    const elsewhere = findKey<unknown>(
      (inInterface ? PEER_KEYS : INTERFACE_KEYS) as readonly KeySpec<unknown>[],
      keyText,
    );
    if (elsewhere) {
      this.error(
        'wrong-section',
        lineNumber,
        column,
        `${elsewhere.name}: belongs in ${inInterface ? '[Peer]' : '[Interface]'}, not in ${here}`,
        keyText,
      );
      return;
    }
    const names = section.keys.map((spec) => spec.name).join(', ');
    this.error(
      'unknown-key',
      lineNumber,
      column,
      `${quote(keyText)} is not a key of ${here}; the keys there are ${names}`,
      keyText,
    );
  }

  private checkComplete(): void {
    if (!this.interfaceSection && this.errors.length === 0) {
      this.error(
        'missing-interface',
        0,
        0,
        'the file has no [Interface] section: a configuration starts with [Interface]',
      );
    }
    for (const peer of this.peerSections) {
      if (!peer.draft.publicKey && !peer.seen['PublicKey']) {
        this.error(
          'missing-public-key',
          peer.header.line,
          peer.header.column,
          '[Peer]: this peer has no PublicKey; every peer needs one',
          'PublicKey',
        );
      }
    }
  }

  private result(): ParseResult {
    const iface = this.interfaceSection!;
    const peers: PeerConfig[] = [];
    const peerLocations: PeerLocations[] = [];
    for (const section of this.peerSections) {
      const { publicKey, allowedIpPositions, ...rest } = section.draft;
      peers.push({ publicKey: publicKey!, ...rest });
      peerLocations.push({ ...locationsOf(section), allowedIps: allowedIpPositions });
    }
    return {
      ok: true,
      config: { interface: iface.draft, peers },
      locations: { interface: locationsOf(iface), peers: peerLocations },
    };
  }
}

function locationsOf(section: Section<unknown>): SectionLocations {
  return { header: section.header, keys: section.seen };
}
