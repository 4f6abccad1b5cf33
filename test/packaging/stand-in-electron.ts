// A stand-in for an unpacked Electron folder, for building packages where
// Electron cannot be downloaded: Electron 45 runs Node 22 as its Node, so a
// copy of a Node 22 binary runs the packaged helper and CLI as Electron would
// in Node mode (ELECTRON_RUN_AS_NODE=1; Node ignores the variable). Electron's
// fuse wire is appended after the sentinel electron-builder searches for, so
// that it can set the fuses as it does on the real binary (bytes after an ELF
// image's end are never loaded). It cannot open a window.
import { appendFileSync, chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** @electron/fuses' sentinel, then the wire: version 1, eight fuses as ASCII '0'/'1'. */
export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron's defaults, in @electron/fuses' order: RunAsNode on, cookie encryption off, NODE_OPTIONS on, inspect on, the rest off but file:// privileges. */
const DEFAULT_FUSES = '10110001';

export function fuseWire(fuses: string = DEFAULT_FUSES): Buffer {
  return Buffer.concat([
    Buffer.from(FUSE_SENTINEL, 'latin1'),
    Buffer.from([1, fuses.length]),
    Buffer.from(fuses, 'latin1'),
  ]);
}

/** Makes `dir` an Electron folder whose `electron` is `nodeBinary` with the fuse wire. */
export function makeStandInElectron(nodeBinary: string, dir: string, electronVersion: string): void {
  mkdirSync(join(dir, 'resources'), { recursive: true });
  const electron = join(dir, 'electron');
  copyFileSync(nodeBinary, electron);
  appendFileSync(electron, fuseWire());
  chmodSync(electron, 0o755);
  writeFileSync(join(dir, 'version'), electronVersion);
  writeFileSync(
    join(dir, 'LICENSE'),
    'Stand-in Electron folder: a copy of Node.js (MIT license) with an Electron fuse wire appended.\n',
  );
}

/** The fuses as the binary now has them, by @electron/fuses' index. */
export function readFuses(binary: Buffer): string {
  const at = binary.lastIndexOf(FUSE_SENTINEL) + FUSE_SENTINEL.length;
  if (at < FUSE_SENTINEL.length) throw new Error('no fuse sentinel in the binary');
  return binary.subarray(at + 2, at + 2 + binary[at + 1]!).toString('latin1');
}
