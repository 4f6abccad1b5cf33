// Network namespaces: create, run commands and processes inside, delete.
import { BackgroundProcess, type BackgroundOptions } from './background.js';
import { exec, type ExecOptions } from './exec.js';

/** A namespace created by the harness; processes spawned in it are handed to the owner to stop at cleanup. */
export class Namespace {
  constructor(
    readonly name: string,
    private readonly adopt: (process: BackgroundProcess) => void,
  ) {}

  exec(cmd: string, args: readonly string[], options?: ExecOptions): Promise<string> {
    return exec(this.name, cmd, args, options);
  }

  spawn(cmd: string, args: readonly string[], options?: BackgroundOptions): BackgroundProcess {
    const process = new BackgroundProcess(this.name, cmd, args, options);
    this.adopt(process);
    return process;
  }
}

export async function addNamespace(name: string): Promise<void> {
  await exec(undefined, 'ip', ['netns', 'add', name]);
  await exec(name, 'ip', ['link', 'set', 'lo', 'up']);
  // Without this, deleting an interface's primary IPv4 address deletes the
  // secondaries with it, and a peer could not move to a new address in its subnet.
  await exec(name, 'sysctl', ['-qw', 'net.ipv4.conf.all.promote_secondaries=1']);
}

export async function listNamespaces(): Promise<string[]> {
  const out = await exec(undefined, 'ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(Boolean);
}

/**
 * Kills whatever still runs inside (a process keeps a namespace, and the
 * interfaces in it, alive after `ip netns del`), then deletes it.
 */
export async function deleteNamespace(name: string): Promise<void> {
  const pids = await exec(undefined, 'ip', ['netns', 'pids', name]);
  for (const pid of pids.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  await exec(undefined, 'ip', ['netns', 'del', name]);
}
