// What the service tests under Wine ask of the service manager and of a
// running helper: a service's state as sc.exe reports it, its registry key, a
// wait for a condition, and `wirefly status` through the helper's pipe.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { resolve } from 'node:path';
import { helperPipePath } from '../../../helper/src/os/win32/control-endpoint.js';

const CLI = resolve('helper', 'bin', 'wirefly');

/** RUNNING, STOPPED, ...; `exit N` when sc.exe query fails (no such service: 1060 on Windows, 1 under Wine). */
export function serviceStateOf(name: string): string {
  const query = spawnSync('sc.exe', ['query', name], { encoding: 'utf8' });
  return /STATE\s*:\s*\d+\s+(\w+)/.exec(query.stdout ?? '')?.[1] ?? `exit ${query.status}`;
}

/** The service's registry key as reg.exe query prints it (ImagePath, Environment, ...). */
export function serviceKey(name: string): string {
  return spawnSync('reg.exe', ['query', `HKLM\\SYSTEM\\CurrentControlSet\\Services\\${name}`], { encoding: 'utf8' })
    .stdout;
}

export async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 200));
  }
}

/** The checkout's `wirefly status` against the helper serving `user`. */
export function helperStatus(user: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, 'status', '--socket', helperPipePath(user)], { encoding: 'utf8' });
}

/** The helper answers with its version and no tunnels. */
export const IDLE_STATUS = /^helper: version \d+\.\d+\.\d+, protocol \d+\nno tunnels\n$/;
