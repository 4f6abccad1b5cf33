// Running system tools (`ip`, `nft`, `resolvectl`, ...) as argument arrays,
// never through a shell, so that no name or address from a config can become
// shell syntax. A runner is injectable: tests record or redirect commands.
import { spawn } from 'node:child_process';

export interface CommandOptions {
  /** Written to the command's stdin, which is then closed. */
  readonly input?: string;
}

/** Runs `argv` to completion and resolves with its stdout; rejects with CommandFailed on a non-zero exit. */
export type CommandRunner = (argv: readonly string[], options?: CommandOptions) => Promise<string>;

export class CommandFailed extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(
      `\`${argv.join(' ')}\` failed (${exitCode === null ? 'killed' : `exit code ${exitCode}`}): ${stderr.trim() || '(no output)'}`,
    );
    this.name = 'CommandFailed';
  }
}

const COMMAND_TIMEOUT_MS = 30_000;

export interface ProcessOptions extends CommandOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this long; 30 s when absent. */
  readonly timeoutMs?: number;
}

export interface ProcessOutcome {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `argv` to its end, however it ends, and collects its output; rejects only when it cannot be started. */
export function runProcess(argv: readonly string[], options: ProcessOptions = {}): Promise<ProcessOutcome> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    if (cmd === undefined) throw new Error('empty command');
    const child = spawn(cmd, args, {
      env: options.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? COMMAND_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (exitCode, signal) =>
      resolve({ exitCode, signal, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() }),
    );
    if (options.input !== undefined) {
      // A tool that exits without reading its input is judged by its exit code, not by EPIPE.
      child.stdin?.on('error', () => {});
      child.stdin?.end(options.input);
    }
  });
}

export const spawnCommand: CommandRunner = async (argv, options = {}) => {
  const outcome = await runProcess(argv, { input: options.input });
  if (outcome.exitCode !== 0) throw new CommandFailed(argv, outcome.exitCode, outcome.stderr);
  return outcome.stdout;
};

/**
 * Undo steps must be idempotent: removing what is already gone succeeds.
 * These are the tools' words for "not there" (the object, its table or its device).
 */
const ABSENT = [
  /No such process/,
  /No such file or directory/,
  /No such device/,
  /Cannot find device/,
  /does not exist/,
  /[Aa]ddress not found/,
  /Cannot assign requested address/,
  /FIB table does not exist/,
];

export function isAbsentError(error: unknown): boolean {
  return error instanceof CommandFailed && ABSENT.some((pattern) => pattern.test(error.stderr));
}

/** Runs an undo command; an error saying the thing is already gone counts as done. */
export async function runIgnoringAbsent(run: CommandRunner, argv: readonly string[]): Promise<void> {
  try {
    await run(argv);
  } catch (error) {
    if (!isAbsentError(error)) throw error;
  }
}
