// Whether the files a root helper runs could be changed by anyone but root.
// launchd starts the daemon from the app bundle (the Electron executable, its
// frameworks, the helper's JavaScript in app.asar.unpacked), and code
// signatures do not cover that JavaScript at each start: whoever can write one
// of those files, or rename one of the folders holding them, chooses what runs
// as root next time. So every file and folder of the bundle must be root's and
// writable by nobody else, and so must every folder above it, up to /.
//
// The exception is /Applications, root:admin 0775 as macOS ships it: a folder
// above the bundle may be writable by its group when that group is admin (or
// wheel). Refusing it would refuse every install, and there is no other place
// for an app. It does leave a hole that no check can close: a process running
// as an administrator (the usual Mac user) can rename a root-owned bundle out
// of /Applications and put a bundle of its own in its place, and the daemon
// runs the replacement, whose code has no reason to check anything (moving
// the helper out of reach would mean installing a copy of Electron's runtime
// under /Library, root's all the way up). What stands against that is
// macOS's App Management (13+), which stops programs not signed by the same
// team, and not allowed to manage apps, from modifying a signed, notarized
// app; whether it also stops renaming the whole bundle away is for a real Mac
// to show (README, macOS, item 11). An unsigned build has no such protection.
// So this check holds against every user who is not an administrator and
// against files a copy or an update left user-owned; against administrators'
// programs it holds as far as App Management does.
import { lstat, readdir, readlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface CodeFileStat {
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** The file system as the check sees it: node:fs here, a fake in tests. */
export interface CodeFiles {
  lstat(path: string): Promise<CodeFileStat>;
  readlink(path: string): Promise<string>;
  readdir(path: string): Promise<string[]>;
}

export const systemCodeFiles: CodeFiles = {
  lstat,
  readlink: (path) => readlink(path),
  readdir: (path) => readdir(path),
};

/** macOS's group of administrators, /Applications' group: its members may become root with their password anyway. */
const ADMIN_GID = 80;
const WHEEL_GID = 0;
const GROUP_WRITE = 0o020;
const OTHER_WRITE = 0o002;
const STICKY = 0o1000;

/** The .app bundle Electron's binary is in (…/Wirefly.app/Contents/MacOS/Wirefly), if it is in one. */
export function appBundleOf(executable: string): string | undefined {
  const bundle = dirname(dirname(dirname(executable)));
  return bundle.endsWith('.app') && dirname(executable).endsWith('/Contents/MacOS') ? bundle : undefined;
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`);
}

/**
 * What a root helper started as `executable script` runs: the whole bundle
 * when both are in one (its frameworks are code too); otherwise the
 * executable and the package of the script (bin/wirefly-helper lives in
 * helper/bin, beside dist/ and node_modules/).
 */
export function helperCodeRoots(executable: string, script: string): string[] {
  const bundle = appBundleOf(executable);
  if (bundle && inside(bundle, script)) return [bundle];
  const bin = dirname(script);
  const pkg = bin.endsWith('/helper/bin') ? dirname(dirname(bin)) : bin;
  return [executable, pkg];
}

export interface CodeLocationOptions {
  readonly files?: CodeFiles;
  /** Trusted beside root: only tests, which do not run as root everywhere, name their own uid. */
  readonly owner?: number;
}

/** How many symbolic links one path may pass through, as macOS's MAXSYMLINKS. */
const MAX_LINKS = 32;

/**
 * Why someone other than root could change what `roots` (files, or folders
 * taken with everything below them) hold, naming the first path at fault;
 * undefined when nobody could. Paths are resolved one component at a time,
 * so that a symbolic link met on the way is followed only out of a folder
 * that passed, and its target is held to the same rules wherever it leads. A
 * link's own owner does not matter: changing a link means replacing it in its
 * folder, which is checked (and chown -R leaves links as they are).
 */
export async function codeLocationProblem(
  roots: readonly string[],
  { files = systemCodeFiles, owner = 0 }: CodeLocationOptions = {},
): Promise<string | undefined> {
  const checked: string[] = [];
  /** `above`: a folder the path passes through, rather than one of the files and folders it names. */
  const fault = (path: string, stat: CodeFileStat, above: boolean): string | undefined => {
    const mode = (stat.mode & 0o7777).toString(8);
    if (stat.uid !== 0 && stat.uid !== owner) return `${path} belongs to uid ${stat.uid}, not root`;
    // In a sticky folder only an entry's owner may rename or remove it: root's entries stay root's.
    const sticky = above && (stat.mode & STICKY) !== 0;
    if ((stat.mode & OTHER_WRITE) !== 0 && !sticky) return `${path} is writable by everyone (mode ${mode})`;
    const trustedGroup = above && (stat.gid === ADMIN_GID || stat.gid === WHEEL_GID);
    if ((stat.mode & GROUP_WRITE) !== 0 && !sticky && !trustedGroup)
      return `${path} is writable by group ${stat.gid} (mode ${mode})`;
    return undefined;
  };
  /** What `read` gives, or why `path` cannot be checked (which fails the check). */
  const attempt = async <T>(path: string, read: () => Promise<T>): Promise<{ value: T } | { problem: string }> => {
    try {
      return { value: await read() };
    } catch (error) {
      return { problem: `${path} cannot be checked: ${(error as Error).message}` };
    }
  };

  /** The path with no links in it, every folder passed through checked; a link to nothing fails, as whoever may create its target would fill it. */
  const resolve = async (path: string): Promise<{ value: string } | { problem: string }> => {
    const root = await attempt('/', () => files.lstat('/'));
    const rootProblem = 'problem' in root ? root.problem : fault('/', root.value, true);
    if (rootProblem) return { problem: rootProblem };
    let done = '/';
    let links = 0;
    const rest = path.split('/').filter((name) => name !== '' && name !== '.');
    while (rest.length > 0) {
      const name = rest.shift()!;
      if (name === '..') {
        done = dirname(done);
        continue;
      }
      const next = join(done, name);
      const stat = await attempt(next, () => files.lstat(next));
      if ('problem' in stat) return stat;
      if (stat.value.isSymbolicLink()) {
        if (++links > MAX_LINKS) return { problem: `${path} passes through more than ${MAX_LINKS} links` };
        const target = await attempt(next, () => files.readlink(next));
        if ('problem' in target) return target;
        rest.unshift(...target.value.split('/').filter((part) => part !== '' && part !== '.'));
        if (target.value.startsWith('/')) done = '/';
        continue;
      }
      if (rest.length > 0) {
        const problem = stat.value.isDirectory() ? fault(next, stat.value, true) : `${next} is not a folder`;
        if (problem) return { problem };
      }
      done = next;
    }
    return { value: done };
  };

  /** `link`: the symbolic link that led here, named beside the fault. */
  const checkRoot = async (path: string, link?: string): Promise<string | undefined> => {
    const named = (problem: string) => (link ? `${problem} (where ${link} leads)` : problem);
    const real = await resolve(path);
    if ('problem' in real) return named(real.problem);
    if (checked.some((root) => inside(root, real.value))) return undefined;
    checked.push(real.value);
    const problem = await walk(real.value);
    return problem && named(problem);
  };

  const walk = async (path: string): Promise<string | undefined> => {
    const stat = await attempt(path, () => files.lstat(path));
    if ('problem' in stat) return stat.problem;
    if (stat.value.isSymbolicLink()) return checkRoot(path, path);
    const problem = fault(path, stat.value, false);
    if (problem || !stat.value.isDirectory()) return problem;
    const names = await attempt(path, () => files.readdir(path));
    if ('problem' in names) return names.problem;
    for (const name of names.value.sort()) {
      const below = await walk(join(path, name));
      if (below) return below;
    }
    return undefined;
  };

  // The widest first, so that a root inside another is walked once.
  for (const root of [...roots].sort((a, b) => a.length - b.length)) {
    const problem = await checkRoot(root);
    if (problem) return problem;
  }
  return undefined;
}
