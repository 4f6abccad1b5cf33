// A stand-in for the helper, run by network-linux.test.ts inside a client
// namespace (`ip netns exec`, so /etc/resolv.conf is the namespace's): it brings
// a tunnel's networking up from a config file and then waits to be killed.
//
//   network-crash-driver up JOURNAL_DIR IFNAME CONFIG_FILE [STOP_AFTER]
//   network-crash-driver recover JOURNAL_DIR
//
// With STOP_AFTER it stops answering after that many system changes, so that a
// kill lands in the middle of bringing the tunnel up. It prints "up" or
// "stopped" when it is ready to be killed. `recover` is the restarted helper:
// it undoes what the journal holds and prints the report as JSON.
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../helper/src/config/index.js';
import { planTunnelNetwork } from '../../helper/src/os/network.js';
import { applyTunnelNetwork, networkUndoPerformer, type CommandRunner } from '../../helper/src/os/linux/index.js';
import { spawnCommand } from '../../helper/src/os/command.js';
import { Journal } from '../../helper/src/service/journal.js';

const USAGE = 'usage: network-crash-driver up JOURNAL_DIR IFNAME CONFIG_FILE [STOP_AFTER] | recover JOURNAL_DIR';
const [command, journalDir, ifname, configFile, stopAfterText] = process.argv.slice(2);
if (!journalDir) throw new Error(USAGE);
const journal = await Journal.open(journalDir, networkUndoPerformer(spawnCommand));

if (command === 'recover') {
  process.stdout.write(`${JSON.stringify(await journal.recover())}\n`);
} else if (command === 'up' && ifname && configFile) {
  // Alive until killed, also while a stopped command never answers.
  setInterval(() => {}, 60_000);
  await up(ifname, configFile, stopAfterText === undefined ? Infinity : Number(stopAfterText));
} else {
  throw new Error(USAGE);
}

async function up(ifname: string, configFile: string, stopAfter: number): Promise<void> {
  const parsed = parseConfig(readFileSync(configFile, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join('; '));
  let changes = 0;
  const isQuery = (argv: readonly string[]) => argv.includes('-j') || argv.includes('show') || argv.includes('-n');
  const runner: CommandRunner = (argv, options) => {
    if (!isQuery(argv) && ++changes > stopAfter) {
      process.stdout.write('stopped\n');
      return new Promise<string>(() => {});
    }
    return spawnCommand(argv, options);
  };
  await applyTunnelNetwork(planTunnelNetwork(parsed.config, { ifname }), {
    journal,
    runner,
    setFwmark: async () => {},
    dnsBackend: 'file',
  });
  process.stdout.write('up\n');
}
