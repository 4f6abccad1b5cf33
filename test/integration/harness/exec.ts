// Runs a command to completion, optionally inside a network namespace, and
// returns its stdout; a non-zero exit becomes an error that carries stderr, so
// a failing `ip` or `wg` call explains itself in the test output.
// The spawning and collecting is the helper's own runner; only the error, which
// also keeps stdout and the signal for the tests' sake, is the harness's.
import { runProcess } from '../../../helper/src/os/command.js';
import type { ProcessOptions } from '../../../helper/src/os/command.js';

export type ExecOptions = ProcessOptions;

export class CommandError extends Error {
  constructor(
    readonly command: readonly string[],
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    const status = signal ? `signal ${signal}` : `exit code ${exitCode}`;
    const detail = stderr.trim() || stdout.trim() || '(no output)';
    super(`\`${command.join(' ')}\` failed with ${status}: ${detail}`);
    this.name = 'CommandError';
  }
}

/** The argv that runs `cmd args` inside `ns`, or on the host when `ns` is undefined. */
export function inNamespace(ns: string | undefined, cmd: string, args: readonly string[]): string[] {
  return ns === undefined ? [cmd, ...args] : ['ip', 'netns', 'exec', ns, cmd, ...args];
}

export async function exec(
  ns: string | undefined,
  cmd: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<string> {
  const argv = inNamespace(ns, cmd, args);
  const { exitCode, signal, stdout, stderr } = await runProcess(argv, options);
  if (exitCode !== 0) throw new CommandError(argv, exitCode, signal, stdout, stderr);
  return stdout;
}
