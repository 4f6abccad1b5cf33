// The wirefly command line: a table of subcommands. Later issues add up, down and
// status, which talk to the helper.
import { config } from './config-commands.js';
import { processIo } from './io.js';
import type { CliIo } from './io.js';
import { genkey, genpsk, pubkey } from './key-commands.js';

type Command = (args: readonly string[], io: CliIo) => Promise<number>;

const COMMANDS: Readonly<Record<string, { readonly run: Command; readonly summary: string }>> = {
  config: { run: config, summary: 'check FILE... | strip FILE: check or strip wg-quick configuration files' },
  genkey: { run: genkey, summary: 'print a new private key (as wg genkey)' },
  pubkey: { run: pubkey, summary: 'read a private key on stdin, print its public key (as wg pubkey)' },
  genpsk: { run: genpsk, summary: 'print a new preshared key (as wg genpsk)' },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(8)} ${summary}`);
  return `Usage: wirefly COMMAND [ARGS]\n\nCommands:\n${lines.join('\n')}\n`;
}

/** Runs one command line (without the program name) and returns the exit status. */
export async function run(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return 0;
  }
  const command = name === undefined ? undefined : Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr(name === undefined ? usage() : `wirefly: unknown command '${name}'\n${usage()}`);
    return 1;
  }
  return command.run(args, io);
}
