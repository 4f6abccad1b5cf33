// Shared by the helper (boot tunnels) and the app (tunnel store, preferences).
// Writes that a crash or kill cannot tear: the new content goes to a temp file
// in the same folder, is flushed to disk, and only then renamed over the old
// file (rename is atomic within a file system). The folder is flushed too, so
// that the rename itself survives a power cut.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Temp files start with this, so that a folder listing can ignore (and clean up) leftovers of interrupted writes. */
export const TEMP_PREFIX = '.tmp-';

export async function writeFileAtomic(path: string, data: Uint8Array | string, mode = 0o600): Promise<void> {
  const temp = join(dirname(path), `${TEMP_PREFIX}${basename(path)}.${randomBytes(6).toString('hex')}`);
  try {
    const file = await open(temp, 'wx', mode);
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** Makes a rename or unlink in `dir` durable. Windows cannot open folders; NTFS journals renames itself. */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
