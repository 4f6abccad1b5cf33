// Places config issues (1-based line and column) in a CodeMirror document: from
// the column to the end of the line's text, or over the whole first line for
// problems of the file as a whole.
import type { Text } from '@codemirror/state';
import type { Diagnostic } from '@codemirror/lint';
import type { ConfigIssue } from '../../../app/src/api/wirefly-api.js';

function trimmedEnd(text: string): number {
  const comment = text.indexOf('#');
  return (comment < 0 ? text : text.slice(0, comment)).trimEnd().length;
}

export function issueRange(doc: Text, issue: ConfigIssue): { from: number; to: number } {
  if (issue.line < 1) return { from: 0, to: doc.line(1).to };
  const line = doc.line(Math.min(issue.line, doc.lines));
  const end = line.from + trimmedEnd(line.text);
  const from = Math.min(line.from + Math.max(issue.column - 1, 0), end);
  // A problem at the end of a line (a missing value) still gets a visible mark.
  return from < end ? { from, to: end } : { from: line.from, to: line.to };
}

export function issueToDiagnostic(doc: Text, issue: ConfigIssue): Diagnostic {
  const { from, to } = issueRange(doc, issue);
  // The message alone: the stable code is for programs, not for the person reading the tooltip.
  return { from, to, severity: issue.severity, message: issue.message };
}
