// Zip archives of tunnel configs, both ways, with fflate. Reading is bounded:
// an archive from the internet could claim or inflate to any size.
import { strToU8, unzipSync, zipSync } from 'fflate';
import type { UnzipFileInfo, ZipOptions } from 'fflate';
import { MAX_CONFIG_BYTES } from '../../../helper/src/config/index.js';

export const MAX_ARCHIVE_ENTRIES = 1000;
export const MAX_ARCHIVE_BYTES = 64 * 1024 * 1024;

export interface ArchiveEntry {
  /** Path inside the archive. */
  readonly path: string;
  readonly data: Uint8Array;
}

export interface ArchiveContents {
  readonly entries: readonly ArchiveEntry[];
  /** Entries that look like configs but were left unread, with why. */
  readonly skipped: readonly { readonly path: string; readonly message: string }[];
}

export function isZip(data: Uint8Array): boolean {
  return data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04;
}

/** The `.conf` files of a zip archive; other files, folders and macOS resource forks are ignored. */
export function readConfigArchive(archive: Uint8Array): ArchiveContents {
  if (archive.length > MAX_ARCHIVE_BYTES)
    throw new Error(`the archive is larger than ${MAX_ARCHIVE_BYTES / 1024 / 1024} MiB`);
  const skipped: { path: string; message: string }[] = [];
  let accepted = 0;
  const wanted = (file: UnzipFileInfo): boolean => {
    if (!isConfigPath(file.name)) return false;
    if (file.originalSize > MAX_CONFIG_BYTES) {
      skipped.push({ path: file.name, message: `larger than the ${MAX_CONFIG_BYTES / 1024} KiB a config may have` });
      return false;
    }
    accepted += 1;
    if (accepted > MAX_ARCHIVE_ENTRIES) throw new Error(`the archive has more than ${MAX_ARCHIVE_ENTRIES} configs`);
    return true;
  };
  const files = unzipSync(archive, { filter: wanted });
  const entries = Object.entries(files)
    .map(([path, data]) => ({ path, data }))
    .sort((a, b) => a.path.localeCompare(b.path));
  return { entries, skipped };
}

function isConfigPath(path: string): boolean {
  const fileName = path.slice(path.lastIndexOf('/') + 1);
  return fileName.toLowerCase().endsWith('.conf') && !fileName.startsWith('.') && !path.startsWith('__MACOSX/');
}

/** A regular file readable and writable by its owner only, in the upper half of a Unix zip entry's attributes. */
const PRIVATE_FILE_ATTRIBUTES = 0o100600 * 0x10000;
const UNIX = 3;

/** One `NAME.conf` per tunnel at the archive's top level, each mode 0600 when unpacked: they hold private keys. */
export function writeConfigArchive(tunnels: readonly { readonly name: string; readonly text: string }[]): Uint8Array {
  const files = Object.fromEntries(
    tunnels.map(({ name, text }) => [
      `${name}.conf`,
      [strToU8(text), { os: UNIX, attrs: PRIVATE_FILE_ATTRIBUTES }] as [Uint8Array, ZipOptions],
    ]),
  );
  return zipSync(files, { level: 6 });
}
