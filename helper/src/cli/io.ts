// What commands need from the process, behind an interface so that tests can run
// commands without spawning them.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<Uint8Array>;
  /** At most `limit + 1` bytes, so that callers can tell an oversized file without reading it all. */
  readFile(path: string, limit: number): Uint8Array;
  fileExists(path: string): boolean;
  /** True when stdout is a file others may read (where a printed private key would leak). */
  stdoutIsWorldAccessibleFile(): boolean;
}

function readAtMost(path: string, limit: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buffer = new Uint8Array(limit + 1);
    let filled = 0;
    for (let n = -1; n !== 0 && filled < buffer.length; filled += n)
      n = readSync(fd, buffer, filled, buffer.length - filled, null);
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  readStdin: () => readAll(process.stdin),
  readFile: readAtMost,
  fileExists(path) {
    try {
      closeSync(openSync(path, 'r'));
      return true;
    } catch {
      return false;
    }
  },
  stdoutIsWorldAccessibleFile() {
    const stat = fstatSync(1);
    return stat.isFile() && (stat.mode & 0o007) !== 0;
  },
};
