// The tools' words on macOS for "already gone", so that undo steps stay
// idempotent, and networksetup's habit of reporting errors on stdout with exit
// status 0.
import { CommandFailed } from '../command.js';
import type { DarwinCommandRunner } from './binding.js';

const ABSENT = [
  /does not exist/,
  /not in table/,
  /Can't assign requested address/,
  /Device not configured/,
  /is not a recognized network service/,
  /No such process/,
];

export function isAbsentError(error: unknown): boolean {
  return error instanceof CommandFailed && ABSENT.some((pattern) => pattern.test(error.stderr));
}

export async function runIgnoringAbsent(run: DarwinCommandRunner, argv: readonly string[]): Promise<void> {
  try {
    await run(argv);
  } catch (error) {
    if (!isAbsentError(error)) throw error;
  }
}

/** networksetup's stdout; a reply that reports an error becomes a CommandFailed carrying it. */
export async function networksetup(run: DarwinCommandRunner, args: readonly string[]): Promise<string> {
  const argv = ['networksetup', ...args];
  const { stdout, stderr } = await run(argv);
  if (/\bError\b|is not a recognized network service/.test(stdout)) throw new CommandFailed(argv, 0, stdout + stderr);
  return stdout;
}
