// The last step of electron-builder's deb target, done by Debian's own
// dpkg-deb instead of fpm (a Ruby bundle electron-builder downloads). It takes
// the fpm command line electron-builder writes (`fpm -s dir -t deb ... SRC=DST`),
// stages SRC=DST into a tree, writes DEBIAN/control and the maintainer scripts,
// and builds the archive with every file owned by root. An option it does not
// know is an error, so that a new electron-builder that passes more is noticed.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface DebRequest {
  readonly packageFile: string;
  readonly control: ReadonlyMap<string, string>;
  readonly scripts: ReadonlyMap<'preinst' | 'postinst' | 'prerm' | 'postrm', string>;
  readonly compression: string;
  /** Source path and absolute destination in the installed system. */
  readonly mappings: readonly { readonly source: string; readonly destination: string }[];
}

const CONTROL_FIELDS: Readonly<Record<string, string>> = {
  '--name': 'Package',
  '--version': 'Version',
  '--architecture': 'Architecture',
  '--maintainer': 'Maintainer',
  '--url': 'Homepage',
  '--category': 'Section',
  '--deb-priority': 'Priority',
};
const SCRIPTS = {
  '--before-install': 'preinst',
  '--after-install': 'postinst',
  '--before-remove': 'prerm',
  '--after-remove': 'postrm',
} as const;
const LISTS: Readonly<Record<string, string>> = {
  '-d': 'Depends',
  '--depends': 'Depends',
  '--deb-recommends': 'Recommends',
  '--deb-suggests': 'Suggests',
};
/** Accepted and not needed: dpkg has no vendor or license field; --force is what dpkg-deb does anyway. */
const IGNORED_WITH_VALUE = new Set(['--vendor', '--license', '--log']);
const IGNORED_FLAGS = new Set(['--force', '--debug']);
/** fpm's --deb-compression names (electron-builder's deb.compression) in dpkg-deb's words. */
const COMPRESSION: Readonly<Record<string, string>> = { gz: 'gzip', xz: 'xz', zstd: 'zstd', none: 'none' };

const DESCRIPTION_WIDTH = 79;

function wrap(paragraph: string): string[] {
  const lines: string[] = [];
  for (const word of paragraph.split(/\s+/).filter(Boolean)) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length < DESCRIPTION_WIDTH)
      lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** Debian's extended description: the summary, then the text wrapped, each line indented by one space, paragraphs apart by " .". */
export function controlDescription(text: string): string {
  const [summary = '', ...rest] = text.trim().split('\n');
  const paragraphs = rest
    .join('\n')
    .split(/\n\s*\n/)
    .map(wrap)
    .filter((lines) => lines.length > 0);
  return [
    summary.trim(),
    ...paragraphs.flatMap((lines, i) => [...(i > 0 ? ['.'] : []), ...lines]).map((line) => ` ${line}`),
  ].join('\n');
}

export function parseFpmArguments(argv: readonly string[]): DebRequest {
  const control = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const scripts = new Map<'preinst' | 'postinst' | 'prerm' | 'postrm', string>();
  const mappings: { source: string; destination: string }[] = [];
  let packageFile: string | undefined;
  let compression = 'xz';
  let input: string | undefined;
  let output: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inlineValue] =
      argv[i]!.startsWith('--') && argv[i]!.includes('=')
        ? (argv[i]!.split(/=(.*)/s, 2) as [string, string])
        : [argv[i]!, undefined];
    const value = (): string => {
      const next = inlineValue ?? argv[++i];
      if (next === undefined) throw new Error(`fpm-dpkg-deb: ${flag} needs a value`);
      return next;
    };
    if (!flag.startsWith('-')) {
      const separator = flag.indexOf('=');
      if (separator <= 0 || !flag.slice(separator + 1).startsWith('/'))
        throw new Error(`fpm-dpkg-deb: '${flag}' is not SOURCE=/DESTINATION`);
      mappings.push({ source: flag.slice(0, separator), destination: flag.slice(separator + 1) });
    } else if (flag === '-s') input = value();
    else if (flag === '-t') output = value();
    else if (flag === '--package') packageFile = value();
    else if (flag === '--deb-compression') {
      const name = value();
      if (!Object.hasOwn(COMPRESSION, name))
        throw new Error(
          `fpm-dpkg-deb: dpkg-deb cannot compress with ${name}; use ${Object.keys(COMPRESSION).join(', ')}`,
        );
      compression = COMPRESSION[name]!;
    } else if (flag === '--description') control.set('Description', controlDescription(value()));
    else if (flag === '--iteration') control.set('Version', `${control.get('Version') ?? ''}-${value()}`);
    else if (Object.hasOwn(CONTROL_FIELDS, flag)) control.set(CONTROL_FIELDS[flag]!, value());
    else if (Object.hasOwn(SCRIPTS, flag)) scripts.set(SCRIPTS[flag as keyof typeof SCRIPTS], value());
    else if (Object.hasOwn(LISTS, flag)) lists.set(LISTS[flag]!, [...(lists.get(LISTS[flag]!) ?? []), value()]);
    else if (IGNORED_WITH_VALUE.has(flag)) value();
    else if (!IGNORED_FLAGS.has(flag)) throw new Error(`fpm-dpkg-deb: unknown option ${flag}`);
  }
  if (input !== 'dir' || output !== 'deb')
    throw new Error(`fpm-dpkg-deb: builds -s dir -t deb only, not -s ${input} -t ${output}`);
  if (!packageFile) throw new Error('fpm-dpkg-deb: --package is missing');
  for (const [field, values] of lists) control.set(field, values.join(', '));
  for (const field of ['Package', 'Version', 'Architecture', 'Maintainer', 'Description']) {
    if (!control.has(field)) throw new Error(`fpm-dpkg-deb: nothing gives the control field ${field}`);
  }
  return { packageFile, control, scripts, compression, mappings };
}

function bytesUnder(path: string): number {
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + bytesUnder(join(path, name)), 0);
}

/** No file of the package may be writable by anyone but root: the helper runs as root from these files. */
function dropGroupAndOtherWrite(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  if ((stat.mode & 0o022) !== 0) chmodSync(path, stat.mode & 0o7755);
  if (stat.isDirectory()) for (const name of readdirSync(path)) dropGroupAndOtherWrite(join(path, name));
}

const FIELD_ORDER = [
  'Package',
  'Version',
  'Architecture',
  'Maintainer',
  'Installed-Size',
  'Depends',
  'Recommends',
  'Suggests',
  'Section',
  'Priority',
  'Homepage',
  'Description',
];

export function buildDeb(request: DebRequest): void {
  const stage = mkdtempSync(join(tmpdir(), 'wirefly-deb-'));
  try {
    // The stage is the installed system's /.
    chmodSync(stage, 0o755);
    for (const { source, destination } of request.mappings) {
      const target = join(stage, destination);
      mkdirSync(dirname(target), { recursive: true });
      if (lstatSync(source).isDirectory()) cpSync(source, target, { recursive: true, verbatimSymlinks: true });
      else copyFileSync(source, target);
    }
    dropGroupAndOtherWrite(stage);
    const control = new Map(request.control);
    control.set('Installed-Size', String(Math.ceil(bytesUnder(stage) / 1024)));
    mkdirSync(join(stage, 'DEBIAN'), { mode: 0o755 });
    const fields = FIELD_ORDER.filter((field) => control.has(field)).map((field) => `${field}: ${control.get(field)}`);
    writeFileSync(join(stage, 'DEBIAN', 'control'), `${fields.join('\n')}\n`, { mode: 0o644 });
    for (const [name, source] of request.scripts) {
      copyFileSync(source, join(stage, 'DEBIAN', name));
      chmodSync(join(stage, 'DEBIAN', name), 0o755);
    }
    rmSync(request.packageFile, { force: true });
    const result = spawnSync(
      'dpkg-deb',
      ['--root-owner-group', `-Z${request.compression}`, '--build', stage, request.packageFile],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (result.error)
      throw new Error(`fpm-dpkg-deb: cannot run dpkg-deb (${result.error.message}); it is Debian's dpkg package`);
    if (result.status !== 0) throw new Error(`fpm-dpkg-deb: dpkg-deb exited with ${result.status}`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

export function main(argv: readonly string[]): number {
  try {
    buildDeb(parseFpmArguments(argv));
    return 0;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
}
