// Each Linux user's helper keeps its state in /var/lib/wirefly/UID, root's alone.
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateStore } from '../state-store.js';

export const STATE_ROOT = '/var/lib/wirefly';

export const linuxStateStore: StateStore = {
  directory: (user) => join(STATE_ROOT, user),
  async prepare(directory) {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await chmod(directory, 0o700);
  },
};
