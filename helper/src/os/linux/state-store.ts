// Each Linux user's helper keeps its state in /var/lib/wirefly/UID, root's alone.
import { rootOnlyStateStore } from '../unix-state-store.js';

export const STATE_ROOT = '/var/lib/wirefly';

export const linuxStateStore = rootOnlyStateStore(STATE_ROOT);
