// The wirefly command line: a table of subcommands. up, down and status talk to
// the running helper; the others work on files and keys alone.
import { config } from './config-commands.js';
import { doctor, killswitch } from './doctor-commands.js';
import { processIo } from './io.js';
import type { CliIo } from './io.js';
import { genkey, genpsk, pubkey } from './key-commands.js';
import { down, status, up } from './tunnel-commands.js';

type Command = (args: readonly string[], io: CliIo) => Promise<number>;

const COMMANDS: Readonly<Record<string, { readonly run: Command; readonly summary: string }>> = {
  config: { run: config, summary: 'check FILE... | strip FILE: check or strip wg-quick configuration files' },
  genkey: { run: genkey, summary: 'print a new private key (as wg genkey)' },
  pubkey: { run: pubkey, summary: 'read a private key on stdin, print its public key (as wg pubkey)' },
  genpsk: { run: genpsk, summary: 'print a new preshared key (as wg genpsk)' },
  up: {
    run: (args, io) => up(args, io),
    summary: 'FILE|NAME: bring a tunnel up through the running helper (as wg-quick up)',
  },
  down: { run: (args, io) => down(args, io), summary: 'NAME: bring a tunnel down' },
  status: {
    run: (args, io) => status(args, io),
    summary: "[--json]: the helper's tunnels, peers and transfer counters",
  },
  doctor: {
    run: (args, io) => doctor(args, io),
    summary: '[--target=ADDRESS] [--json] NAME: why a tunnel does not connect or carry traffic, and what to do',
  },
  killswitch: {
    run: (args, io) => killswitch(args, io),
    summary: '[off|always-on] [--allow-lan|--no-allow-lan]: show or set the kill switch beyond one tunnel',
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(10)} ${summary}`);
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
