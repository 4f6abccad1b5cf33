// Keeps a tunnel's uplink-dependent settings current: after each change of the
// routing table the refreshers run again, one run at a time, the changes that
// arrive during a run folded into one more run after it, and runs at least
// `intervalMs` apart: macOS announces every cloned host route (a new
// neighbour on the LAN), and each run starts several tools.
import type { DarwinBinding } from './binding.js';

export type Refresher = () => Promise<void>;

export class RouteFollower {
  private readonly unwatch: () => void;
  private current: Promise<void> | undefined;
  private pending = false;
  private stopped = false;
  private pause: { timer: NodeJS.Timeout; resolve: () => void } | undefined;

  constructor(
    binding: DarwinBinding,
    private readonly refreshers: readonly Refresher[],
    private readonly intervalMs = 1000,
  ) {
    this.unwatch = binding.watchRoutes(() => this.changed());
  }

  /** Stops following; resolves once a run under way has ended, so that nothing changes after it. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unwatch();
    if (this.pause) {
      clearTimeout(this.pause.timer);
      this.pause.resolve();
    }
    await this.current;
  }

  private changed(): void {
    if (this.stopped) return;
    if (this.current) {
      this.pending = true;
      return;
    }
    this.current = this.runWhilePending().finally(() => (this.current = undefined));
  }

  private async runWhilePending(): Promise<void> {
    do {
      this.pending = false;
      for (const refresh of this.refreshers) {
        if (this.stopped) return;
        // A failed refresh keeps the last good settings; the next change of the table tries again.
        await refresh().catch(() => {});
      }
      if (this.pending && !this.stopped) await this.wait();
    } while (this.pending && !this.stopped);
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pause = undefined;
        resolve();
      }, this.intervalMs);
      this.pause = { timer, resolve };
    });
  }
}
