// The kill switch beyond one tunnel: "Allow LAN", and "Always on" (lockdown),
// kept root-only in the helper's state directory so that the service applies
// it at every start, before any tunnel or app. The tunnels that are up are
// admitted to the lockdown table as they come up and let go as they go down.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Endpoint } from '../net/ip.js';
import { writeFileAtomic } from '../os/atomic-file.js';
import type { CommandRunner } from '../os/command.js';
import {
  admitToLockdown,
  loadLockdown,
  lockdownTable,
  releaseFromLockdown,
  removeLockdown,
  type LockdownAdmission,
} from '../os/linux/lockdown.js';
import { KillSwitchPolicy } from '../rpc/index.js';

export const KILL_SWITCH_POLICY_FILE = 'kill-switch.json';
export const DEFAULT_POLICY: KillSwitchPolicy = { mode: 'off', allowLan: false };

/** What the tunnel manager tells the kill switch about its tunnels. */
export interface TunnelAdmissions {
  admit(ifname: string, endpoints: readonly Endpoint[], mark?: number): Promise<void>;
  release(ifname: string): Promise<void>;
  /** Whether tunnels' own kill switches let the LAN through. */
  allowLan(): boolean;
}

export class KillSwitchPolicyService implements TunnelAdmissions {
  private readonly admitted = new Map<string, LockdownAdmission>();

  private constructor(
    private current: KillSwitchPolicy,
    private readonly path: string,
    private readonly table: string,
    private readonly run: CommandRunner,
  ) {}

  /** Reads the stored policy (a missing or unreadable file is "off", and says so through `problem`). */
  static async open(
    stateDirectory: string,
    user: string,
    run: CommandRunner,
  ): Promise<{ service: KillSwitchPolicyService; problem?: string }> {
    const path = join(stateDirectory, KILL_SWITCH_POLICY_FILE);
    let policy = DEFAULT_POLICY;
    let problem: string | undefined;
    try {
      const parsed = KillSwitchPolicy.safeParse(JSON.parse(await readFile(path, 'utf8')));
      if (parsed.success) policy = parsed.data;
      else problem = `${path} is not a kill switch policy; using "off"`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        problem = `${path}: ${(error as Error).message}; using "off"`;
    }
    return {
      service: new KillSwitchPolicyService(policy, path, lockdownTable(user), run),
      ...(problem ? { problem } : {}),
    };
  }

  policy(): KillSwitchPolicy {
    return this.current;
  }

  allowLan(): boolean {
    return this.current.allowLan;
  }

  /** At start: lockdown from the first moment, whatever an earlier helper left in the table. */
  async apply(): Promise<void> {
    if (this.current.mode === 'always-on') {
      await loadLockdown(this.run, this.table, this.current.allowLan);
      for (const admission of this.admitted.values()) await admitToLockdown(this.run, this.table, admission);
    } else {
      await removeLockdown(this.run, this.table);
    }
  }

  /** Stored first, then applied: a crash in between applies it at the next start. */
  async set(policy: KillSwitchPolicy): Promise<KillSwitchPolicy> {
    await writeFileAtomic(this.path, `${JSON.stringify(policy)}\n`, 0o600);
    this.current = policy;
    await this.apply();
    return policy;
  }

  async admit(ifname: string, endpoints: readonly Endpoint[], mark?: number): Promise<void> {
    const previous = this.admitted.get(ifname);
    const admission: LockdownAdmission = { ifname, endpoints, ...(mark === undefined ? {} : { mark }) };
    this.admitted.set(ifname, admission);
    if (this.current.mode !== 'always-on') return;
    if (previous) await releaseFromLockdown(this.run, this.table, previous);
    await admitToLockdown(this.run, this.table, admission);
  }

  async release(ifname: string): Promise<void> {
    const admission = this.admitted.get(ifname);
    if (!admission) return;
    this.admitted.delete(ifname);
    if (this.current.mode === 'always-on') await releaseFromLockdown(this.run, this.table, admission);
  }
}

/** For package removal: a lockdown with no helper left to lift it would keep the machine offline. */
export async function removeLockdownOf(run: CommandRunner, user: string): Promise<void> {
  await removeLockdown(run, lockdownTable(user));
}
