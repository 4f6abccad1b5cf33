// The tunnels a user marked to connect at boot: the only configs the helper
// keeps, as root-only copies in its state directory (0700, files 0600), so that
// the service can bring them up before anyone logs in, as WireGuard for
// Windows' tunnel service does. Each is validated when it is stored and again
// when it is brought up; a file that cannot be read is reported, not trusted.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isInterfaceName } from '../config/index.js';
import { syncDirectory, writeFileAtomic } from '../os/atomic-file.js';

export interface BootTunnel {
  readonly name: string;
  readonly configText: string;
  readonly killSwitch?: boolean;
}

const SUFFIX = '.json';
/** A user may mark this many; the copies are root's files on the system disk. */
export const MAX_BOOT_TUNNELS = 64;

export class BootTunnels {
  constructor(readonly dir: string) {}

  private async ensureDirectory(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  async names(): Promise<string[]> {
    let files: string[];
    try {
      files = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return files
      .filter((file) => file.endsWith(SUFFIX))
      .map((file) => file.slice(0, -SUFFIX.length))
      .filter(isInterfaceName)
      .sort();
  }

  async save(tunnel: BootTunnel): Promise<void> {
    await this.ensureDirectory();
    const record = {
      configText: tunnel.configText,
      ...(tunnel.killSwitch === undefined ? {} : { killSwitch: tunnel.killSwitch }),
    };
    await writeFileAtomic(this.path(tunnel.name), JSON.stringify(record), 0o600);
  }

  async remove(name: string): Promise<void> {
    if (!(await this.names()).includes(name)) return;
    await rm(this.path(name), { force: true });
    await syncDirectory(this.dir);
  }

  /** Every stored tunnel, or for each one that cannot be read, why. */
  async load(): Promise<(BootTunnel | { readonly name: string; readonly problem: string })[]> {
    return Promise.all(
      (await this.names()).map(async (name) => {
        try {
          const record = JSON.parse(await readFile(this.path(name), 'utf8')) as {
            configText?: unknown;
            killSwitch?: unknown;
          };
          if (typeof record.configText !== 'string') return { name, problem: 'it holds no configText' };
          const killSwitch = typeof record.killSwitch === 'boolean' ? { killSwitch: record.killSwitch } : {};
          return { name, configText: record.configText, ...killSwitch };
        } catch (error) {
          return { name, problem: (error as Error).message };
        }
      }),
    );
  }

  private path(name: string): string {
    if (!isInterfaceName(name)) throw new Error(`'${name}' is not a tunnel name`);
    return join(this.dir, `${name}${SUFFIX}`);
  }
}
