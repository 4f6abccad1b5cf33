// A Mac's file system as the check of the helper's own files reads it
// (helper/src/os/darwin/code-location.ts): owners, groups, modes and links,
// no contents. `FakeCodeFiles.mac()` starts as macOS ships its folders, with
// Wirefly.app in /Applications as the .pkg or the password prompt leaves it.
import type { CodeFileStat, CodeFiles } from '../../../helper/src/os/darwin/code-location.js';

interface Entry {
  uid: number;
  gid: number;
  mode: number;
  readonly kind: 'folder' | 'file' | 'link';
  readonly target?: string;
}

export interface Owner {
  readonly uid?: number;
  readonly gid?: number;
  readonly mode?: number;
}

export const WHEEL = 0;
export const ADMIN = 80;
export const STAFF = 20;
/** The first user a Mac makes. */
export const ME = 501;

export const APP = '/Applications/Wirefly.app';
export const ELECTRON = `${APP}/Contents/MacOS/Wirefly`;
export const HELPER_SCRIPT = `${APP}/Contents/Resources/app.asar.unpacked/helper/bin/wirefly-helper`;

function parentOf(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

function missing(call: string, path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, ${call} '${path}'`), { code: 'ENOENT' });
}

export class FakeCodeFiles implements CodeFiles {
  private readonly entries = new Map<string, Entry>([['/', { uid: 0, gid: WHEEL, mode: 0o755, kind: 'folder' }]]);
  /** Every path lstat was asked about, in order. */
  readonly looked: string[] = [];

  static mac(): FakeCodeFiles {
    const files = new FakeCodeFiles();
    files.folder('/Applications', { gid: ADMIN, mode: 0o775 });
    files.folder('/Library');
    files.folder('/Users', { gid: ADMIN });
    files.folder('/Users/me', { uid: ME, gid: STAFF, mode: 0o750 });
    files.folder('/Users/me/Downloads', { uid: ME, gid: STAFF, mode: 0o700 });
    files.folder('/private/tmp', { mode: 0o1777 });
    files.link('/tmp', 'private/tmp');
    files.bundle(APP);
    return files;
  }

  /** Wirefly.app's shape: the executable, a framework reached through its links, the helper in app.asar.unpacked. */
  bundle(app: string): void {
    const framework = `${app}/Contents/Frameworks/Electron Framework.framework`;
    this.file(`${app}/Contents/Info.plist`);
    this.file(`${app}/Contents/MacOS/Wirefly`, { mode: 0o755 });
    this.file(`${framework}/Versions/A/Electron Framework`, { mode: 0o755 });
    // chown -R leaves links as they are: a copy made root's keeps its user's links.
    this.link(`${framework}/Versions/Current`, 'A', { uid: ME, gid: STAFF });
    this.link(`${framework}/Electron Framework`, 'Versions/Current/Electron Framework', { uid: ME, gid: STAFF });
    this.file(`${app}/Contents/Resources/app.asar`);
    this.file(`${app}/Contents/Resources/app.asar.unpacked/helper/bin/wirefly-helper`, { mode: 0o755 });
    this.file(`${app}/Contents/Resources/app.asar.unpacked/dist/helper/src/cli/wirefly-helper.js`);
    this.file(`${app}/Contents/Resources/app.asar.unpacked/node_modules/zod/index.js`);
    this.file(`${app}/Contents/Library/LaunchDaemons/org.wirefly.helper.plist`);
  }

  folder(path: string, { uid = 0, gid = WHEEL, mode = 0o755 }: Owner = {}): void {
    this.ensureParent(path);
    this.entries.set(path, { uid, gid, mode, kind: 'folder' });
  }

  file(path: string, { uid = 0, gid = WHEEL, mode = 0o644 }: Owner = {}): void {
    this.ensureParent(path);
    this.entries.set(path, { uid, gid, mode, kind: 'file' });
  }

  link(path: string, target: string, { uid = 0, gid = WHEEL }: Owner = {}): void {
    this.ensureParent(path);
    this.entries.set(path, { uid, gid, mode: 0o755, kind: 'link', target });
  }

  /** chown -R of `path` and everything below it, links left as they are, as macOS's chown does. */
  chown(path: string, { uid, gid }: { readonly uid: number; readonly gid: number }): void {
    for (const [at, entry] of this.entries) {
      if ((at === path || at.startsWith(`${path}/`)) && entry.kind !== 'link') Object.assign(entry, { uid, gid });
    }
  }

  /** chmod of the one `path`. */
  chmod(path: string, mode: number): void {
    this.entries.get(path)!.mode = mode;
  }

  private ensureParent(path: string): void {
    const parent = parentOf(path);
    if (!this.entries.has(parent)) this.folder(parent);
  }

  async lstat(path: string): Promise<CodeFileStat> {
    this.looked.push(path);
    const entry = this.entries.get(path);
    if (!entry) throw missing('lstat', path);
    return {
      uid: entry.uid,
      gid: entry.gid,
      mode: entry.mode,
      isDirectory: () => entry.kind === 'folder',
      isSymbolicLink: () => entry.kind === 'link',
    };
  }

  async readlink(path: string): Promise<string> {
    const entry = this.entries.get(path);
    if (entry?.kind !== 'link') throw missing('readlink', path);
    return entry.target!;
  }

  async readdir(path: string): Promise<string[]> {
    if (this.entries.get(path)?.kind !== 'folder') throw missing('scandir', path);
    return [...this.entries.keys()]
      .filter((at) => at !== '/' && parentOf(at) === path)
      .map((at) => at.slice(path === '/' ? 1 : path.length + 1));
  }
}
