// genkey, pubkey, genpsk: the same input and output as wg(8)'s commands of those names.
import {
  generatePresharedKey,
  generatePrivateKey,
  keyFromBase64,
  keyToBase64,
  publicKeyFromPrivate,
} from '../config/index.js';
import type { CliIo } from './io.js';

function printSecret(io: CliIo, key: Uint8Array): number {
  if (io.stdoutIsWorldAccessibleFile()) {
    io.stderr('Warning: writing to world accessible file.\nConsider setting the umask to 077 and trying again.\n');
  }
  io.stdout(`${keyToBase64(key)}\n`);
  return 0;
}

export async function genkey(_args: readonly string[], io: CliIo): Promise<number> {
  return printSecret(io, generatePrivateKey());
}

export async function genpsk(_args: readonly string[], io: CliIo): Promise<number> {
  return printSecret(io, generatePresharedKey());
}

/** Reads a private key on stdin; like wg, only whitespace may follow it. */
export async function pubkey(_args: readonly string[], io: CliIo): Promise<number> {
  const input = new TextDecoder().decode(await io.readStdin());
  // Trimmed from the end by hand: a regular expression anchored at the end tries every run of blanks, quadratic in them.
  let end = input.length;
  while (end > 0 && ' \t\n\v\f\r'.includes(input[end - 1]!)) end--;
  const privateKey = keyFromBase64(input.slice(0, end));
  if (!privateKey) {
    io.stderr('wirefly: Key is not the correct length or format\n');
    return 1;
  }
  io.stdout(`${keyToBase64(publicKeyFromPrivate(privateKey))}\n`);
  return 0;
}
