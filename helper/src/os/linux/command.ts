// Running system tools (`ip`, `nft`, `resolvectl`, ...) on Linux: os/process.ts
// runs them; here are the tools' words for "already gone".
import { CommandFailed, type CommandRunner } from '../process.js';

export {
  CommandFailed,
  runProcess,
  spawnCommand,
  type CommandOptions,
  type CommandRunner,
  type ProcessOptions,
  type ProcessOutcome,
} from '../process.js';

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
