// A small wg-quick language for CodeMirror: sections, keys, values and comments
// highlighted, '#' comments toggled, and key names completed for the section
// the cursor is in.
import { StreamLanguage, LanguageSupport } from '@codemirror/language';
import type { StringStream } from '@codemirror/language';
import type { CompletionContext, CompletionResult } from '@codemirror/autocomplete';
import { INTERFACE_KEYS, PEER_KEYS } from '../../../helper/src/config/grammar.js';

interface LineState {
  /** Past the '=' of a key = value line. */
  inValue: boolean;
}

const NUMBER_OR_ADDRESS = /^(?:[0-9a-fA-F]*[:.][0-9a-fA-F:.]*(?:\/[0-9]+)?|[0-9]+)(?=$|[\s,#])/;

function valueToken(stream: StringStream): string {
  if (stream.eat(',')) return 'punctuation';
  if (stream.match(NUMBER_OR_ADDRESS)) return 'number';
  stream.eatWhile(/[^\s,#]/);
  return 'string';
}

function token(stream: StringStream, state: LineState): string | null {
  if (stream.sol()) state.inValue = false;
  if (stream.eatSpace()) return null;
  if (stream.peek() === '#') {
    stream.skipToEnd();
    return 'comment';
  }
  if (state.inValue) return valueToken(stream);
  if (stream.match(/^\[[^\]#]*\]?/)) return 'heading';
  if (stream.eat('=')) {
    state.inValue = true;
    return 'operator';
  }
  stream.eatWhile(/[^\s=#]/);
  return 'propertyName';
}

const wgQuickLanguage = StreamLanguage.define<LineState>({
  name: 'wg-quick',
  startState: () => ({ inValue: false }),
  copyState: (state) => ({ ...state }),
  token,
  languageData: { commentTokens: { line: '#' } },
});

function sectionAt(context: CompletionContext): 'interface' | 'peer' | undefined {
  const doc = context.state.doc;
  for (let number = doc.lineAt(context.pos).number; number >= 1; number--) {
    const header = /^\s*\[(\w+)\]/.exec(doc.line(number).text)?.[1]?.toLowerCase();
    if (header === 'interface' || header === 'peer') return header;
  }
  return undefined;
}

function completeKey(context: CompletionContext): CompletionResult | null {
  const word = context.matchBefore(/^\s*\w*$/);
  if (!word || (word.from === word.to && !context.explicit)) return null;
  const section = sectionAt(context);
  if (!section) return null;
  const keys = section === 'interface' ? INTERFACE_KEYS : PEER_KEYS;
  const from = word.from + (word.text.length - word.text.trimStart().length);
  return { from, options: keys.map((key) => ({ label: key.name, type: 'property', apply: `${key.name} = ` })) };
}

export function wgQuick(): LanguageSupport {
  return new LanguageSupport(wgQuickLanguage, wgQuickLanguage.data.of({ autocomplete: completeKey }));
}
