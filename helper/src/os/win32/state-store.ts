// The service's state on Windows: ProgramData\Wirefly\SID, readable and
// writable by SYSTEM and Administrators only (a protected access list that
// everything created inside inherits), as WireGuard for Windows keeps its
// configurations. ProgramData is asked of the system, not of the environment,
// so that the service and an administrator's shell agree on it.
import { lstat, mkdir, readdir, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, win32 } from 'node:path';
import type { StateStore } from '../state-store.js';
import { declare } from './koffi.js';
import { ADMINISTRATORS_ONLY_TREE_SDDL, applyAccessList, isUserSid } from './security.js';

const CSIDL_COMMON_APPDATA = 0x23;
const MAX_PATH = 260;
const folderPath = declare<(owner: null, folder: number, token: null, flags: number, path: Uint16Array) => number>(
  'shell32.dll',
  'int32 __stdcall SHGetFolderPathW(void *owner, int folder, void *token, uint32 flags, _Out_ uint16_t *path)',
);

/** ProgramData (C:\ProgramData), from the shell; its usual place where there is no Windows to ask. */
export function programDataFolder(): string {
  if (process.platform !== 'win32') return 'C:\\ProgramData';
  const path = new Uint16Array(MAX_PATH);
  const status = folderPath()(null, CSIDL_COMMON_APPDATA, null, 0, path);
  if (status !== 0) throw new Error(`SHGetFolderPathW(CSIDL_COMMON_APPDATA) failed: 0x${(status >>> 0).toString(16)}`);
  const end = path.indexOf(0);
  return String.fromCharCode(...path.subarray(0, end < 0 ? path.length : end));
}

/** ProgramData\Wirefly: every user's state folder and the helper's settings. */
export function win32StateRoot(programData = programDataFolder()): string {
  return win32.join(programData, 'Wirefly');
}

export function win32StateDirectory(userSid: string, programData = programDataFolder()): string {
  if (!isUserSid(userSid)) throw new Error(`"${userSid}" is not a user's SID (S-1-5-21-...)`);
  return win32.join(win32StateRoot(programData), userSid);
}

/**
 * Deletes the folder at `path` and everything in it, removing a symbolic link
 * or junction found inside (libuv's lstat reports both as links) as the link
 * itself, never what it points to: an administrator's link out of the tree
 * must not take another folder with it. The boot copies of tunnel configs, with
 * their private keys, go with the files; they are not overwritten first, as
 * on an SSD (wear levelling) or NTFS (a small file lives in its MFT record,
 * which may be moved and copied) a write does not reliably land on the old
 * blocks. Absent already: nothing to do.
 */
export async function removeTree(path: string): Promise<void> {
  let entry;
  try {
    entry = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (entry.isSymbolicLink()) {
    // A link to a folder is removed as a folder on Windows, as a file elsewhere.
    await unlink(path).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPERM' && error.code !== 'EISDIR') throw error;
      await rmdir(path);
    });
    return;
  }
  if (!entry.isDirectory()) {
    await unlink(path);
    return;
  }
  for (const name of await readdir(path)) await removeTree(join(path, name));
  await rmdir(path);
}

/** The helper's own settings (whether scripts may run), writable by administrators only, as /etc/wirefly is root's. */
export function win32HelperSettingsPath(programData = programDataFolder()): string {
  return win32.join(programData, 'Wirefly', 'helper.json');
}

export function win32StateStore(setAccessList = applyAccessList): StateStore {
  return {
    directory: (user) => win32StateDirectory(user),
    async prepare(directory) {
      await mkdir(directory, { recursive: true });
      // The Wirefly folder first: a user could otherwise create a sibling there.
      setAccessList(dirname(directory), ADMINISTRATORS_ONLY_TREE_SDDL);
      setAccessList(directory, ADMINISTRATORS_ONLY_TREE_SDDL);
    },
  };
}
