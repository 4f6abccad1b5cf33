// A helper that serves whoever is at the screen (macOS's SMAppService daemon,
// os/darwin/console-user.ts says why): each check compares the console's uid
// with the one served, closes the old user's socket (dropping their
// connections) and listens on the new user's. A socket that cannot be taken
// yet, held by a helper started for that session, is tried again at the next
// check, so the daemon takes over once that helper ends.
import type { ControlServer } from './control-server.js';

export interface ConsoleFollowerOptions {
  /** Undefined while nobody is at the screen. */
  readonly consoleUid: () => number | undefined;
  readonly listen: (uid: number) => Promise<ControlServer>;
  readonly log: (level: 'info' | 'warn', message: string) => void;
}

export class ConsoleFollower {
  private serving: { readonly uid: number; readonly server: ControlServer } | undefined;
  private last: Promise<void> = Promise.resolve();
  private closed = false;
  /** Said once, not at every check while it lasts. */
  private lastProblem: string | undefined;

  constructor(private readonly options: ConsoleFollowerOptions) {}

  /** The uid whose socket is open, if any. */
  get uid(): number | undefined {
    return this.serving?.uid;
  }

  /** Checks run one after another, so that two never listen for the same user. */
  check(): Promise<void> {
    this.last = this.last.then(() => this.follow());
    return this.last;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.last;
    await this.stopServing();
  }

  private async follow(): Promise<void> {
    if (this.closed) return;
    let uid: number | undefined;
    try {
      uid = this.options.consoleUid();
    } catch (error) {
      this.warn(`who is at the console cannot be read: ${(error as Error).message}`);
      return;
    }
    if (uid === this.serving?.uid) return;
    await this.stopServing();
    if (uid === undefined) return;
    try {
      const server = await this.options.listen(uid);
      this.serving = { uid, server };
      this.lastProblem = undefined;
      this.options.log('info', `serving uid ${uid}, at the console, on ${server.path}`);
    } catch (error) {
      this.warn(`uid ${uid} is at the console but cannot be served yet: ${(error as Error).message}`);
    }
  }

  private warn(problem: string): void {
    if (problem === this.lastProblem) return;
    this.lastProblem = problem;
    this.options.log('warn', problem);
  }

  private async stopServing(): Promise<void> {
    const served = this.serving;
    if (!served) return;
    this.serving = undefined;
    await served.server.close();
    this.options.log('info', `uid ${served.uid} left the console: its socket is closed`);
  }
}
