// The user's tunnels: one `NAME.conf` per tunnel in one folder, sealed with the
// injected encryption, every change atomic. The folder is the truth; nothing is
// cached, so a file dropped in by hand shows up on the next listing.
import { link, mkdir, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isInterfaceName } from '../../../helper/src/config/index.js';
import { syncDirectory, TEMP_PREFIX, writeFileAtomic } from '../../../helper/src/os/atomic-file.js';
import { openConfig, sealConfig } from './encryption.js';
import type { Encryption } from './encryption.js';
import { SerialQueue } from './serial-queue.js';
import { StoreError } from './store-error.js';

const EXTENSION = '.conf';

export class TunnelStore {
  private readonly queue = new SerialQueue();

  private constructor(
    readonly dir: string,
    private readonly encryption: Encryption,
  ) {}

  /** Opens (creating, 0700) the folder and removes temp files that interrupted writes left behind. */
  static async open(dir: string, encryption: Encryption): Promise<TunnelStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const entry of await readdir(dir)) {
      if (entry.startsWith(TEMP_PREFIX)) await rm(join(dir, entry), { force: true });
    }
    return new TunnelStore(dir, encryption);
  }

  get encrypted(): boolean {
    return this.encryption.available;
  }

  async names(): Promise<string[]> {
    const entries = await readdir(this.dir);
    return entries
      .filter((entry) => entry.endsWith(EXTENSION))
      .map((entry) => entry.slice(0, -EXTENSION.length))
      .filter(isInterfaceName)
      .sort((a, b) => a.localeCompare(b));
  }

  async has(name: string): Promise<boolean> {
    return (await this.names()).includes(name);
  }

  async read(name: string): Promise<string> {
    try {
      return openConfig(await readFile(this.pathOf(name)), this.encryption);
    } catch (error) {
      throw isNotFound(error) ? noSuchTunnel(name) : error;
    }
  }

  /** Replaces an existing tunnel's config. */
  update(name: string, text: string): Promise<void> {
    return this.queue.run(async () => {
      if (!(await this.has(name))) throw noSuchTunnel(name);
      await writeFileAtomic(this.pathOf(name), sealConfig(text, this.encryption));
    });
  }

  create(name: string, text: string): Promise<void> {
    return this.queue.run(async () => {
      if (await this.has(name)) throw tunnelExists(name);
      await writeFileAtomic(this.pathOf(name), sealConfig(text, this.encryption));
    });
  }

  /** Creates under `wanted` or, when taken, the name `pickFree` gives; returns the name used. */
  createUnique(
    wanted: string,
    text: string,
    pickFree: (wanted: string, isTaken: (name: string) => boolean) => string,
  ): Promise<string> {
    return this.queue.run(async () => {
      const taken = new Set(await this.names());
      const name = pickFree(wanted, (candidate) => taken.has(candidate));
      await writeFileAtomic(this.pathOf(name), sealConfig(text, this.encryption));
      return name;
    });
  }

  /** Hard link then unlink: at every instant the tunnel exists under at least one name, and an existing `to` is never overwritten. */
  rename(from: string, to: string): Promise<void> {
    return this.queue.run(async () => {
      const source = this.pathOf(from);
      const target = this.pathOf(to);
      if (from === to) return;
      try {
        await link(source, target);
      } catch (error) {
        if (isNotFound(error)) throw noSuchTunnel(from);
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw tunnelExists(to);
        throw error;
      }
      await unlink(source);
      await syncDirectory(this.dir);
    });
  }

  delete(name: string): Promise<void> {
    return this.queue.run(async () => {
      try {
        await unlink(this.pathOf(name));
      } catch (error) {
        throw isNotFound(error) ? noSuchTunnel(name) : error;
      }
      await syncDirectory(this.dir);
    });
  }

  private pathOf(name: string): string {
    if (!isInterfaceName(name)) {
      throw new StoreError('bad-name', `'${name}' is not a valid tunnel name: use 1 to 15 letters, digits or _=+.-`);
    }
    return join(this.dir, name + EXTENSION);
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function noSuchTunnel(name: string): StoreError {
  return new StoreError('no-such-tunnel', `there is no tunnel named '${name}'`);
}

function tunnelExists(name: string): StoreError {
  return new StoreError('tunnel-exists', `a tunnel named '${name}' already exists`);
}
