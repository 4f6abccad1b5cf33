// "1 minute, 12 seconds ago", as wg(8) and the official apps word it.

const UNITS: readonly (readonly [singular: string, seconds: number])[] = [
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
];

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** A duration in whole seconds as "2 hours, 5 seconds"; zero parts are left out. */
export function formatDuration(totalSeconds: number): string {
  let rest = Math.floor(totalSeconds);
  const parts: string[] = [];
  for (const [unit, seconds] of UNITS) {
    const count = Math.floor(rest / seconds);
    rest -= count * seconds;
    if (count > 0) parts.push(plural(count, unit));
  }
  return parts.join(', ');
}

/** The age of a handshake at Unix ms `at`, seen at `now`; "Never" when there was none. */
export function formatHandshakeAge(at: number | undefined, now: number): string {
  if (at === undefined) return 'Never';
  const seconds = Math.floor((now - at) / 1000);
  // A clock that moved backwards shows as "just now" rather than a negative age.
  if (seconds < 1) return 'Just now';
  return `${formatDuration(seconds)} ago`;
}
