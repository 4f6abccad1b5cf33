// `wirefly-helper stop-all`: what removing the package runs before its files
// go. Every running helper is asked to stop as a service manager would
// (SIGTERM: it brings its tunnels down), and then whatever a helper that
// crashed or was killed left in the system is undone from its journal.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { spawnCommand } from '../os/command.js';
import { currentPlatform } from '../os/platform.js';
import { helperRuntimeDirectory } from '../rpc/index.js';
import { recoverCrashedHelper } from './crash-recovery.js';
import { livingHelper, PID_FILE_NAME } from './helper-pid-file.js';
import { Journal } from './journal.js';
import { KILL_SWITCH_POLICY_FILE, removeLockdownOf } from './kill-switch-policy.js';
import { STATE_ROOT } from './serve.js';

export interface StopAllOptions {
  readonly runtimeRoot: string;
  readonly stateRoot: string;
  /** How long a helper gets to bring its tunnels down before it is killed (its journal then undoes the rest). */
  readonly graceMs: number;
  readonly report: (line: string) => void;
}

export const STOP_ALL_USAGE = 'Usage: wirefly-helper stop-all [--runtime-dir DIR] [--state-root DIR]\n';

export function parseStopAllArguments(argv: readonly string[]): Omit<StopAllOptions, 'report'> | string {
  let runtimeRoot = helperRuntimeDirectory(process.platform);
  let stateRoot = STATE_ROOT;
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (value === undefined) return STOP_ALL_USAGE;
    if (argv[i] === '--runtime-dir') runtimeRoot = value;
    else if (argv[i] === '--state-root') stateRoot = value;
    else return STOP_ALL_USAGE;
  }
  return { runtimeRoot, stateRoot, graceMs: 20_000 };
}

async function subdirectories(root: string): Promise<string[]> {
  try {
    const entries = await readdir(root, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => join(root, entry.name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopHelper(pid: number, graceMs: number, report: (line: string) => void): Promise<void> {
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      report(`helper ${pid} did not stop within ${graceMs / 1000} s: killing it, its journal undoes its changes`);
      process.kill(pid, 'SIGKILL');
      while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 50));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  report(`stopped helper ${pid}`);
}

export async function stopAll(options: StopAllOptions): Promise<void> {
  for (const directory of await subdirectories(options.runtimeRoot)) {
    const pid = await livingHelper(join(directory, PID_FILE_NAME));
    if (pid !== undefined) await stopHelper(pid, options.graceMs, options.report);
  }
  for (const directory of await subdirectories(options.stateRoot)) {
    const journalDirectory = join(directory, 'journal');
    if ((await subdirectories(directory)).includes(journalDirectory)) {
      const journal = await Journal.open(journalDirectory, currentPlatform().network.undoPerformer());
      const { recovered, steps, removedSockets, socketProblems } = await recoverCrashedHelper(journal);
      if (recovered.length > 0) options.report(`undid ${steps} changes a stopped helper left: ${recovered.join(', ')}`);
      if (removedSockets.length > 0) options.report(`removed its control sockets: ${removedSockets.join(', ')}`);
      socketProblems.forEach((problem) => options.report(problem));
    }
    // Always on outlives its helper by design; with the package gone nothing would ever lift it.
    const uid = basename(directory);
    if (/^\d{1,10}$/.test(uid) && existsSync(join(directory, KILL_SWITCH_POLICY_FILE))) {
      await removeLockdownOf(spawnCommand, uid);
      options.report(`no always-on kill switch of uid ${uid} stays behind`);
    }
  }
}
