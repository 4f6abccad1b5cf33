// The specification of the replay filter: a set of every counter ever accepted,
// against which the ring-based ReplayFilter and the engine's receive path are
// checked.
import { COUNTER_WINDOW_SIZE } from '../../../helper/src/engine/replay.js';

const WINDOW = BigInt(COUNTER_WINDOW_SIZE);

export class NaiveReplayFilter {
  private readonly seen = new Set<bigint>();
  private greatest = -1n;

  validate(counter: bigint, limit: bigint): boolean {
    if (counter < 0n || counter >= limit) return false;
    if (this.greatest >= 0n && this.greatest - counter > WINDOW) return false;
    if (this.seen.has(counter)) return false;
    this.seen.add(counter);
    if (counter > this.greatest) this.greatest = counter;
    return true;
  }

  get greatestAccepted(): bigint {
    return this.greatest;
  }
}
