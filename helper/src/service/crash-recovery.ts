// What a helper that was killed left behind, undone by the next one (serve) or
// by package removal (stop-all): the changes its journal recorded, then the
// wg(8) control sockets of those tunnels, which nobody answers on any more.
import { removeStaleUapiSocket } from '../uapi/server.js';
import type { Journal } from './journal.js';

export interface CrashRecovery {
  /** The tunnels (journal labels) whose changes were undone. */
  readonly recovered: readonly string[];
  readonly steps: number;
  readonly removedSockets: readonly string[];
  /** Sockets that could not be looked at or removed, each with why. */
  readonly socketProblems: readonly string[];
}

export async function recoverCrashedHelper(journal: Journal): Promise<CrashRecovery> {
  const { recovered, steps } = await journal.recover();
  const removedSockets: string[] = [];
  const socketProblems: string[] = [];
  for (const ifname of recovered) {
    try {
      if (await removeStaleUapiSocket(ifname)) removedSockets.push(ifname);
    } catch (error) {
      socketProblems.push(`${ifname}'s control socket: ${(error as Error).message}`);
    }
  }
  return { recovered, steps, removedSockets, socketProblems };
}
