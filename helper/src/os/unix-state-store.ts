// The state store of Linux and macOS: one folder per user under a root, root's alone.
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateStore } from './state-store.js';

export function rootOnlyStateStore(root: string): StateStore {
  return {
    directory: (user) => join(root, user),
    async prepare(directory) {
      await mkdir(directory, { recursive: true, mode: 0o700 });
      await chmod(directory, 0o700);
    },
  };
}
