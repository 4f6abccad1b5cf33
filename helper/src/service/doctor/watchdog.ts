// Runs the doctor by itself when a tunnel needs it: no handshake within 10 s
// of coming up, or data going out while no handshake has completed for longer
// than a session lives (it stopped flowing). Once per episode: a tunnel that
// handshakes again may be diagnosed again later.
import type { TunnelStats } from '../../rpc/index.js';

/** A tunnel without any handshake this long after it came up gets a diagnosis. */
export const FIRST_HANDSHAKE_DEADLINE_MS = 10_000;
/** A session lives 180 s; a handshake older than this while data goes out means the tunnel stalled. */
export const STALLED_AFTER_MS = 190_000;

export interface WatchedManager {
  stats(): TunnelStats[];
  diagnose(name: string): Promise<unknown>;
}

interface Watch {
  readonly since: number;
  lastTx: number;
  /** The handshake the last diagnosis was made after (0: none yet); a newer one re-arms the watch. */
  diagnosedAfter: number | undefined;
}

export class DoctorWatchdog {
  static readonly INTERVAL_MS = 2_000;
  private readonly watches = new Map<string, Watch>();

  constructor(
    private readonly manager: WatchedManager,
    private readonly now: () => number = Date.now,
  ) {}

  /** Looks at every active tunnel once; starts the diagnoses that are due (without waiting for them). */
  tick(): string[] {
    const now = this.now();
    const due: string[] = [];
    const seen = new Set<string>();
    for (const stats of this.manager.stats()) {
      seen.add(stats.tunnel);
      const watch = this.watches.get(stats.tunnel) ?? { since: now, lastTx: 0, diagnosedAfter: undefined };
      this.watches.set(stats.tunnel, watch);
      const handshake = Math.max(0, ...stats.peers.map((peer) => peer.latestHandshake ?? 0));
      const tx = stats.peers.reduce((sum, peer) => sum + peer.txBytes, 0);
      const sending = tx > watch.lastTx;
      watch.lastTx = tx;
      if (watch.diagnosedAfter !== undefined && handshake > watch.diagnosedAfter) watch.diagnosedAfter = undefined;
      if (watch.diagnosedAfter !== undefined) continue;
      const neverConnected = handshake === 0 && now - watch.since >= FIRST_HANDSHAKE_DEADLINE_MS;
      const stalled = handshake > 0 && now - handshake >= STALLED_AFTER_MS && sending;
      if (!neverConnected && !stalled) continue;
      watch.diagnosedAfter = handshake;
      due.push(stats.tunnel);
      void this.manager.diagnose(stats.tunnel).catch(() => {});
    }
    for (const name of this.watches.keys()) if (!seen.has(name)) this.watches.delete(name);
    return due;
  }
}
