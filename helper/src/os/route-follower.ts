// Keeps a tunnel's uplink-dependent settings current: after each change of the
// routing table the refreshers run again, one run at a time, the changes that
// arrive during a run folded into one more run after it, and runs at least
// `intervalMs` apart: macOS announces every cloned host route (a new
// neighbour on the LAN) and each run starts several tools; Windows announces
// each route row, the follower's own host routes among them.

export type Refresher = () => Promise<void>;

/**
 * Calls `changed` after each change of the routing table until the returned
 * function is called; that one may finish stopping later (Windows cancels its
 * notification off the event loop), and stop() waits for it.
 */
export type RouteWatch = (changed: () => void) => () => void | Promise<void>;

export class RouteFollower {
  private readonly unwatch: () => void | Promise<void>;
  private current: Promise<void> | undefined;
  private pending = false;
  private stopped = false;
  private pause: { timer: NodeJS.Timeout; resolve: () => void } | undefined;

  constructor(
    watch: RouteWatch,
    private readonly refreshers: readonly Refresher[],
    private readonly intervalMs = 1000,
  ) {
    this.unwatch = watch(() => this.changed());
  }

  /** Stops following; resolves once a run under way has ended, so that nothing changes after it. */
  async stop(): Promise<void> {
    this.stopped = true;
    const unwatched = this.unwatch();
    if (this.pause) {
      clearTimeout(this.pause.timer);
      this.pause.resolve();
    }
    await this.current;
    await unwatched;
  }

  /** Runs the refreshers as after a change of the table; resolves when that run (and any it folds into) has ended. */
  refresh(): Promise<void> {
    this.changed();
    return this.current ?? Promise.resolve();
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
