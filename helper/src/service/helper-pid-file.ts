// A running helper's process id, beside its socket, so that removing the
// package can stop helpers that no service manager started (one started "for
// this session"). Another process's number may be left by a crash and reused
// later: whoever reads it checks the process is a helper before signalling it.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const PID_FILE_NAME = 'helper.pid';

export interface HelperPidFile {
  remove(): Promise<void>;
}

/** Writes this process's id into `directory` (the socket's, root's alone). */
export async function writeHelperPidFile(directory: string): Promise<HelperPidFile> {
  const path = join(directory, PID_FILE_NAME);
  await writeFile(path, `${process.pid}\n`, { mode: 0o644 });
  return { remove: () => rm(path, { force: true }) };
}

/** The helper process a pid file names, if that process still is a helper. */
export async function livingHelper(pidFile: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await readFile(pidFile, 'utf8')).trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!Number.isSafeInteger(pid) || pid <= 1) return undefined;
  try {
    const commandLine = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    const isHelper = commandLine.some((arg) => arg.endsWith('wirefly-helper')) && commandLine.includes('serve');
    return isHelper ? pid : undefined;
  } catch {
    return undefined;
  }
}
