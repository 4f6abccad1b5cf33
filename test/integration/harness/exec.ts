// Runs a command to completion, optionally inside a network namespace, and
// returns its stdout; a non-zero exit becomes an error that carries stderr, so
// a failing `ip` or `wg` call explains itself in the test output.
import { spawn } from 'node:child_process';

export interface ExecOptions {
  /** Written to the command's stdin, which is then closed. */
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

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

const DEFAULT_TIMEOUT_MS = 30_000;

/** The argv that runs `cmd args` inside `ns`, or on the host when `ns` is undefined. */
export function inNamespace(ns: string | undefined, cmd: string, args: readonly string[]): string[] {
  return ns === undefined ? [cmd, ...args] : ['ip', 'netns', 'exec', ns, cmd, ...args];
}

export function exec(
  ns: string | undefined,
  cmd: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<string> {
  const argv = inNamespace(ns, cmd, args);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const out = Buffer.concat(stdout).toString();
      if (code === 0) resolve(out);
      else reject(new CommandError(argv, code, signal, out, Buffer.concat(stderr).toString()));
    });
    if (options.input !== undefined) {
      // A command that exits without reading its input is judged by its exit code, not by EPIPE.
      child.stdin?.on('error', () => {});
      child.stdin?.end(options.input);
    }
  });
}
