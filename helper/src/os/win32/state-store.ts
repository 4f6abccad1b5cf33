// The service's state on Windows: %ProgramData%\Wirefly\SID, readable and
// writable by SYSTEM and Administrators only (a protected access list that
// everything created inside inherits), as WireGuard for Windows keeps its
// configurations.
import { mkdir } from 'node:fs/promises';
import { dirname, win32 } from 'node:path';
import type { StateStore } from '../state-store.js';
import { ADMINISTRATORS_ONLY_TREE_SDDL, applyAccessList, isUserSid } from './security.js';

export function win32StateDirectory(userSid: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!isUserSid(userSid)) throw new Error(`"${userSid}" is not a user's SID (S-1-5-21-...)`);
  return win32.join(env['ProgramData'] ?? 'C:\\ProgramData', 'Wirefly', userSid);
}

/** The helper's own settings (whether scripts may run), writable by administrators only, as /etc/wirefly is root's. */
export function win32HelperSettingsPath(env: NodeJS.ProcessEnv = process.env): string {
  return win32.join(env['ProgramData'] ?? 'C:\\ProgramData', 'Wirefly', 'helper.json');
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
