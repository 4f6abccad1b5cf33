// The editor's issues in words, under the text: each names its line and jumps there.
import type { ConfigIssue } from '../../../app/src/api/wirefly-api.js';

export function issueSummary(issues: readonly ConfigIssue[]): string {
  const errors = issues.filter((issue) => issue.severity === 'error').length;
  const warnings = issues.length - errors;
  const count = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (issues.length === 0) return 'No problems found.';
  if (errors === 0)
    return `${count(warnings, 'warning')}: the tunnel works, but check ${warnings === 1 ? 'it' : 'them'}.`;
  return `${count(errors, 'error')}${warnings > 0 ? ` and ${count(warnings, 'warning')}` : ''}: fix ${errors === 1 ? 'the error' : 'the errors'} to save.`;
}

export function IssueList({
  issues,
  onGoToLine,
}: {
  readonly issues: readonly ConfigIssue[];
  readonly onGoToLine: (line: number) => void;
}) {
  return (
    <section className="issues" aria-label="Problems in the configuration">
      <p className="issues-summary" role="status">
        {issueSummary(issues)}
      </p>
      {issues.length > 0 && (
        <ul className="issue-list">
          {issues.map((issue, index) => (
            <li key={index} className={`issue ${issue.severity}`}>
              <button
                type="button"
                className="issue-line"
                onClick={() => onGoToLine(issue.line)}
                disabled={issue.line < 1}
              >
                {issue.line > 0 ? `Line ${issue.line}` : 'File'}
              </button>
              <span className="issue-severity">{issue.severity === 'error' ? 'Error' : 'Warning'}</span>
              <span className="issue-message">{issue.message}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
