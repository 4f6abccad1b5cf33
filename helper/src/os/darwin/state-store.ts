// Each macOS user's helper keeps its state in /var/db/wirefly/UID (the plist's
// --state-dir), root's alone, as Linux's in /var/lib/wirefly/UID.
import { rootOnlyStateStore } from '../unix-state-store.js';

export const STATE_ROOT = '/var/db/wirefly';

export const darwinStateStore = rootOnlyStateStore(STATE_ROOT);
