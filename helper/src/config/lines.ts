// Splits a configuration text into lines the way wg-quick reads them: a leading
// byte order mark is dropped, '#' starts a comment anywhere on a line (script
// values included — wg-quick cuts them there too), and whitespace around the rest
// does not count. CR of CRLF files is whitespace.

export interface SourceLine {
  /** 1-based. */
  readonly number: number;
  /** The whole line without its '\n'. */
  readonly text: string;
  /** The line before any '#', without surrounding whitespace. */
  readonly content: string;
  /** Where `content` starts in `text`, 0-based. */
  readonly contentStart: number;
}

const BYTE_ORDER_MARK = '\uFEFF';

/** Whitespace as bash's [[:space:]] (a line holds no '\n'). */
export const SPACE = /[ \t\r\v\f]/;

export function isSpace(char: string): boolean {
  return SPACE.test(char);
}

export function splitSourceLines(text: string): SourceLine[] {
  const body = text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text;
  const texts = body.split('\n');
  if (texts[texts.length - 1] === '') texts.pop();
  return texts.map((line, index) => {
    const hash = line.indexOf('#');
    const uncommented = hash < 0 ? line : line.slice(0, hash);
    let start = 0;
    let end = uncommented.length;
    while (start < end && isSpace(uncommented[start]!)) start++;
    while (end > start && isSpace(uncommented[end - 1]!)) end--;
    return { number: index + 1, text: line, content: uncommented.slice(start, end), contentStart: start };
  });
}
