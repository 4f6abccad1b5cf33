// Mutations of valid inputs, shared by the generators: line-level and
// character-level edits of text (configs, control requests, JSON lines) and
// byte-level edits of binary messages. A generator first builds something
// valid, then hands it here, so that the mutated input is wrong in one or two
// places only and gets past the first checks of the code under test.
import type { Random } from './random.js';

/** Characters that mean something to one of the text grammars, or to a tokenizer. */
const SYNTAX_CHARACTERS = [
  '=',
  '[',
  ']',
  '#',
  ',',
  '/',
  ':',
  '.',
  '-',
  '+',
  '%',
  '"',
  "'",
  '\\',
  '{',
  '}',
  ' ',
  '0',
  '9',
  'a',
  'f',
  'x',
  'F',
];

/** Whitespace and control characters that trimming and line splitting may or may not treat as such. */
const CONTROL_CHARACTERS = ['\t', '\r', '\v', '\f', '\0', '\n', '\x1b', '\x7f', '\r\n'];

/** Characters that trip up case folding, trimming, length counting and UTF-8 encoding. */
const UNICODE_CHARACTERS = [
  '\u00a0', // no-break space: whitespace to String.prototype.trim, not to bash
  '\u0085', // next line
  '\u2028', // line separator
  '\u200b', // zero-width space
  '\ufeff', // byte order mark in the middle of a line
  '\u202e', // right-to-left override
  '\u3000', // ideographic space
  '\uff11', // fullwidth digit one
  '\u0661', // Arabic-Indic digit one
  '\u212a', // Kelvin sign: lower-cases to 'k'
  '\u0130', // capital I with dot: lower-cases to two code units
  '\u017f', // long s: upper-cases to 'S'
  'é',
  'ß',
  '\ud800', // a lone high surrogate
  '\udfff', // a lone low surrogate
  '\u{1f600}', // outside the basic multilingual plane
];

/** Numbers at the edges of the ranges the grammars use, and spellings that are almost numbers. */
export const EDGE_NUMBERS = [
  '0',
  '1',
  '-1',
  '00',
  '007',
  '67',
  '68',
  '255',
  '256',
  '1279',
  '1280',
  '9000',
  '9001',
  '65535',
  '65536',
  '2147483647',
  '2147483648',
  '4294967295',
  '4294967296',
  '9007199254740991',
  '9007199254740993',
  '18446744073709551615',
  '18446744073709551616',
  '99999999999999999999999999',
  '1e3',
  '1.5',
  '+1',
  '0x10',
  '0X10',
  '0xffffffff',
  '0x100000000',
  '0x',
  'Infinity',
  'NaN',
  '１',
];

export type LineMutation =
  | 'delete-line'
  | 'duplicate-line'
  | 'swap-lines'
  | 'move-line'
  | 'replace-character'
  | 'insert-syntax'
  | 'insert-control'
  | 'insert-unicode'
  | 'delete-characters'
  | 'truncate'
  | 'huge-value'
  | 'edge-number'
  | 'change-case'
  | 'split-line'
  | 'join-lines';

const LINE_MUTATIONS: readonly (readonly [number, LineMutation])[] = [
  [3, 'delete-line'],
  [3, 'duplicate-line'],
  [2, 'swap-lines'],
  [2, 'move-line'],
  [4, 'replace-character'],
  [3, 'insert-syntax'],
  [2, 'insert-control'],
  [2, 'insert-unicode'],
  [3, 'delete-characters'],
  [1, 'truncate'],
  [1, 'huge-value'],
  [4, 'edge-number'],
  [1, 'change-case'],
  [1, 'split-line'],
  [1, 'join-lines'],
];

export interface LineMutationOptions {
  /** How long a 'huge-value' line may grow. */
  readonly hugeLength: number;
}

export interface MutatedLines {
  readonly lines: string[];
  readonly mutations: LineMutation[];
}

function insertAt(text: string, position: number, insert: string): string {
  return text.slice(0, position) + insert + text.slice(position);
}

/** A position inside a line, biased towards the places around '=' and separators where parsers decide things. */
function interestingPosition(random: Random, line: string): number {
  if (line.length === 0 || random.chance(0.5)) return random.int(0, line.length);
  const marks: number[] = [];
  for (let i = 0; i < line.length; i++) if ('=,/:[].# '.includes(line[i]!)) marks.push(i, i + 1);
  return marks.length > 0 ? random.pick(marks) : random.int(0, line.length);
}

function replaceNumber(random: Random, line: string): string {
  const numbers = [...line.matchAll(/[0-9]+/g)];
  const replacement = random.pick(EDGE_NUMBERS);
  if (numbers.length === 0) return `${line}${replacement}`;
  const match = random.pick(numbers);
  return line.slice(0, match.index) + replacement + line.slice(match.index + match[0].length);
}

function applyLineMutation(
  random: Random,
  lines: string[],
  mutation: LineMutation,
  options: LineMutationOptions,
): void {
  if (lines.length === 0) lines.push('');
  const at = random.below(lines.length);
  const line = lines[at]!;
  const position = interestingPosition(random, line);
  switch (mutation) {
    case 'delete-line':
      lines.splice(at, 1);
      return;
    case 'duplicate-line':
      lines.splice(random.int(0, lines.length), 0, line);
      return;
    case 'swap-lines': {
      const other = random.below(lines.length);
      [lines[at], lines[other]] = [lines[other]!, line];
      return;
    }
    case 'move-line':
      lines.splice(at, 1);
      lines.splice(random.int(0, lines.length), 0, line);
      return;
    case 'replace-character':
      lines[at] = line.slice(0, position) + random.pick(SYNTAX_CHARACTERS) + line.slice(position + 1);
      return;
    case 'insert-syntax':
      lines[at] = insertAt(line, position, random.pick(SYNTAX_CHARACTERS));
      return;
    case 'insert-control':
      lines[at] = insertAt(line, position, random.pick(CONTROL_CHARACTERS));
      return;
    case 'insert-unicode':
      lines[at] = insertAt(line, position, random.pick(UNICODE_CHARACTERS));
      return;
    case 'delete-characters':
      lines[at] = line.slice(0, position) + line.slice(position + random.int(1, 8));
      return;
    case 'truncate':
      lines.length = at + 1;
      lines[at] = line.slice(0, position);
      return;
    case 'huge-value': {
      const unit = line.slice(position) || 'x';
      lines[at] = line + unit.repeat(Math.ceil(random.int(1, options.hugeLength) / unit.length));
      return;
    }
    case 'edge-number':
      lines[at] = replaceNumber(random, line);
      return;
    case 'change-case':
      lines[at] = random.chance(0.5) ? line.toUpperCase() : line.toLowerCase();
      return;
    case 'split-line':
      lines.splice(at, 1, line.slice(0, position), line.slice(position));
      return;
    case 'join-lines':
      if (at + 1 < lines.length) lines.splice(at, 2, line + lines[at + 1]!);
      return;
  }
}

/** One to `most` mutations of a copy of `lines`. */
export function mutateLines(
  random: Random,
  lines: readonly string[],
  most: number,
  options: LineMutationOptions,
): MutatedLines {
  const out = [...lines];
  const mutations: LineMutation[] = [];
  const count = random.int(1, most);
  for (let i = 0; i < count; i++) {
    const mutation = random.weighted(LINE_MUTATIONS);
    applyLineMutation(random, out, mutation, options);
    mutations.push(mutation);
  }
  return { lines: out, mutations };
}

export type ByteMutation =
  'flip-bit' | 'set-byte' | 'set-word' | 'truncate' | 'extend' | 'insert' | 'delete-range' | 'splice';

const BYTE_MUTATIONS: readonly (readonly [number, ByteMutation])[] = [
  [6, 'flip-bit'],
  [3, 'set-byte'],
  [2, 'set-word'],
  [2, 'truncate'],
  [2, 'extend'],
  [1, 'insert'],
  [1, 'delete-range'],
  [1, 'splice'],
];

const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x7f, 0x80, 0xfe, 0xff];
const INTERESTING_WORDS = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

export interface MutatedBytes {
  readonly bytes: Uint8Array;
  readonly mutations: ByteMutation[];
}

export interface ByteMutationOptions {
  /** Mutations leave these bytes alone and never cut the input shorter than `from`. */
  readonly from?: number;
  /** The longest result an 'extend' or 'insert' may make. */
  readonly maxLength: number;
  /** Material for 'splice': other inputs of the same kind. */
  readonly donors?: readonly Uint8Array[];
}

function applyByteMutation(
  random: Random,
  input: Uint8Array,
  mutation: ByteMutation,
  options: ByteMutationOptions,
): Uint8Array {
  const from = Math.min(options.from ?? 0, input.length);
  const position = input.length > from ? random.int(from, input.length - 1) : from;
  switch (mutation) {
    case 'flip-bit': {
      if (input.length <= from) return input;
      const out = Uint8Array.from(input);
      out[position]! ^= 1 << random.int(0, 7);
      return out;
    }
    case 'set-byte': {
      if (input.length <= from) return input;
      const out = Uint8Array.from(input);
      out[position] = random.pick(INTERESTING_BYTES);
      return out;
    }
    case 'set-word': {
      if (input.length < from + 4) return input;
      const out = Uint8Array.from(input);
      new DataView(out.buffer).setUint32(random.int(from, out.length - 4), random.pick(INTERESTING_WORDS), true);
      return out;
    }
    case 'truncate':
      return input.slice(0, random.int(from, input.length));
    case 'extend': {
      const room = options.maxLength - input.length;
      if (room <= 0) return input;
      const tail = random.chance(0.5)
        ? new Uint8Array(random.int(1, Math.min(room, 64)))
        : random.bytes(random.int(1, Math.min(room, 64)));
      return concat(input, tail);
    }
    case 'insert': {
      const room = options.maxLength - input.length;
      if (room <= 0) return input;
      return concat(
        input.subarray(0, position),
        random.bytes(random.int(1, Math.min(room, 16))),
        input.subarray(position),
      );
    }
    case 'delete-range':
      return concat(input.subarray(0, position), input.subarray(Math.min(input.length, position + random.int(1, 16))));
    case 'splice': {
      const donor = options.donors && options.donors.length > 0 ? random.pick(options.donors) : random.bytes(32);
      const length = Math.min(donor.length, input.length - position, random.int(1, 32));
      if (length <= 0) return input;
      const out = Uint8Array.from(input);
      const start = random.int(0, donor.length - length);
      out.set(donor.subarray(start, start + length), position);
      return out;
    }
  }
}

/** One to `most` mutations of a copy of `input`. */
export function mutateBytes(
  random: Random,
  input: Uint8Array,
  most: number,
  options: ByteMutationOptions,
): MutatedBytes {
  let bytes = input;
  const mutations: ByteMutation[] = [];
  const count = random.int(1, most);
  for (let i = 0; i < count; i++) {
    const mutation = random.weighted(BYTE_MUTATIONS);
    bytes = applyByteMutation(random, bytes, mutation, options);
    mutations.push(mutation);
  }
  return { bytes: bytes === input ? Uint8Array.from(input) : bytes, mutations };
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
