// The events after which the tunnels should check their way to the peers: a
// change of a route, an address or a link (other than the tunnels' own), and
// a resume from sleep. Changes come in bursts (an interface going down takes
// its addresses and routes with it), so they are gathered for a moment and
// reported once.
import type { RouteChange, RouteChangeWatch, SystemClocks } from '../os/network-changes.js';
import { ResumeDetector } from './resume-detector.js';

/** How long a burst of changes is gathered before it is reported. */
export const SETTLE_MS = 250;
/** How often the clocks are read for a resume. */
export const RESUME_TICK_MS = 1_000;

export interface NetworkEventsOptions {
  readonly watch: (
    onChanges: (changes: readonly RouteChange[]) => void,
    onError: (error: Error) => void,
  ) => RouteChangeWatch;
  readonly clocks: SystemClocks;
  /** The tunnels' own interfaces, whose changes are the helper's own doing. */
  readonly ownInterfaces: () => ReadonlySet<string>;
  /** A plain-words reason: "address change on wlan0", "resume after 42 s of sleep". */
  readonly onChange: (reason: string) => void;
  readonly onError: (error: Error) => void;
}

/** What a burst of changes was about, or undefined when it only touched the tunnels' own interfaces. */
export function describeChanges(changes: readonly RouteChange[], own: ReadonlySet<string>): string | undefined {
  const kinds = new Map<string, Set<string>>();
  for (const change of changes) {
    if (change.interfaceName !== undefined && own.has(change.interfaceName)) continue;
    const where = change.kind === 'lost' ? 'the system' : (change.interfaceName ?? 'a removed interface');
    const kind = change.kind === 'lost' ? 'changes missed' : `${change.kind} change`;
    if (!kinds.has(kind)) kinds.set(kind, new Set());
    kinds.get(kind)!.add(where);
  }
  if (kinds.size === 0) return undefined;
  return [...kinds].map(([kind, where]) => `${kind} on ${[...where].sort().join(', ')}`).join('; ');
}

function describeWake(kind: 'suspend' | 'freeze', pausedMs: number): string {
  const seconds = (pausedMs / 1000).toFixed(1);
  return kind === 'suspend'
    ? `resume after ${seconds} s of sleep`
    : `resume after the helper was frozen for ${seconds} s`;
}

export class NetworkEvents {
  private readonly watch: RouteChangeWatch;
  private readonly tick: NodeJS.Timeout;
  private readonly resume = new ResumeDetector(RESUME_TICK_MS);
  private pending: RouteChange[] = [];
  private settle: NodeJS.Timeout | undefined;

  constructor(private readonly options: NetworkEventsOptions) {
    this.watch = options.watch((changes) => this.gather(changes), options.onError);
    this.readClocks();
    this.tick = setInterval(() => this.readClocks(), RESUME_TICK_MS);
    this.tick.unref();
  }

  close(): void {
    clearInterval(this.tick);
    clearTimeout(this.settle);
    this.watch.close();
  }

  private gather(changes: readonly RouteChange[]): void {
    this.pending.push(...changes);
    this.settle ??= setTimeout(() => {
      this.settle = undefined;
      const burst = this.pending;
      this.pending = [];
      const reason = describeChanges(burst, this.options.ownInterfaces());
      if (reason) this.options.onChange(reason);
    }, SETTLE_MS);
  }

  private readClocks(): void {
    const { clocks } = this.options;
    const wake = this.resume.observe({ bootTime: clocks.bootTime(), monotonicTime: clocks.monotonicTime() });
    if (wake) this.options.onChange(describeWake(wake.kind, wake.pausedMs));
  }
}
