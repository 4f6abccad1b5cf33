// wirefly-helper serve --user UID ...: the privileged helper the app and the
// wirefly command talk to; wirefly-helper stop-all: what package removal runs.
import { parseServeArguments, serve, SERVE_USAGE } from '../service/serve.js';
import { parseStopAllArguments, stopAll, STOP_ALL_USAGE } from '../service/stop-all.js';

function refuseUnlessRoot(): boolean {
  if (process.getuid?.() === 0) return false;
  process.stderr.write("wirefly-helper: the helper changes the system's networking and must run as root\n");
  return true;
}

async function runServe(argv: readonly string[]): Promise<number> {
  const options = parseServeArguments(argv);
  if (typeof options === 'string') {
    process.stderr.write(options);
    return 1;
  }
  if (refuseUnlessRoot()) return 1;
  await serve(options);
  return 0;
}

async function runStopAll(argv: readonly string[]): Promise<number> {
  const options = parseStopAllArguments(argv);
  if (typeof options === 'string') {
    process.stderr.write(options);
    return 1;
  }
  if (refuseUnlessRoot()) return 1;
  await stopAll({ ...options, report: (line) => process.stdout.write(`wirefly-helper: ${line}\n`) });
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const run = command === 'serve' ? runServe : command === 'stop-all' ? runStopAll : undefined;
  if (!run) {
    process.stderr.write(`${SERVE_USAGE}${STOP_ALL_USAGE}`);
    return 1;
  }
  try {
    return await run(rest);
  } catch (error) {
    process.stderr.write(`wirefly-helper: ${(error as Error).message}\n`);
    return 1;
  }
}
