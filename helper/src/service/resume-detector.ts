// Tells a resume from sleep from two clocks read now and then: the boot-time
// clock runs on through a suspend while the monotonic one stands still, so the
// gap between them grows by the time slept. A process that was frozen
// (SIGSTOP, a paused VM, a debugger) sees both clocks go on, but its periodic
// tick comes late by as much; for a tunnel that is the same as a sleep, since
// peers may have forgotten it meanwhile. Pure: the clocks' readings come in.

/** Shorter pauses are ordinary scheduling delays of a busy machine. */
export const RESUME_THRESHOLD_MS = 2_000;

export interface ClockReading {
  readonly bootTime: number;
  readonly monotonicTime: number;
}

export type Wake = { readonly kind: 'suspend' | 'freeze'; readonly pausedMs: number };

export class ResumeDetector {
  private last: ClockReading | undefined;

  /** `tickMs`: how often observe() is meant to be called. */
  constructor(private readonly tickMs: number) {}

  /** The pause that ended since the previous reading, if there was one. */
  observe(reading: ClockReading): Wake | undefined {
    const last = this.last;
    this.last = reading;
    if (!last) return undefined;
    const slept = reading.bootTime - reading.monotonicTime - (last.bootTime - last.monotonicTime);
    if (slept >= RESUME_THRESHOLD_MS) return { kind: 'suspend', pausedMs: Math.round(slept) };
    const late = reading.monotonicTime - last.monotonicTime - this.tickMs;
    if (late >= RESUME_THRESHOLD_MS) return { kind: 'freeze', pausedMs: Math.round(late) };
    return undefined;
  }
}
