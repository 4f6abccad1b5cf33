// wirefly-helper serve --user UID ...: the privileged helper the app and the
// wirefly command talk to; wirefly-helper stop-all: what package removal runs;
// install-service / uninstall-service: the helper as this OS's system service
// for one user (the app's first run, through the password prompt).
import { currentPlatform } from '../os/platform.js';
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

export const SERVICE_USAGE =
  'Usage: wirefly-helper install-service --user UID [--at-next-boot]\n       wirefly-helper uninstall-service --user UID\n';

export function parseServiceArguments(argv: readonly string[]): { user: string; startNow: boolean } | string {
  const [flag, user, ...rest] = argv;
  if (flag !== '--user' || user === undefined || !/^\d{1,10}$/.test(user)) return SERVICE_USAGE;
  if (rest.length === 0) return { user, startNow: true };
  if (rest.length === 1 && rest[0] === '--at-next-boot') return { user, startNow: false };
  return SERVICE_USAGE;
}

function runService(verb: 'install' | 'uninstall'): (argv: readonly string[]) => Promise<number> {
  return async (argv) => {
    const options = parseServiceArguments(argv);
    if (typeof options === 'string' || (verb === 'uninstall' && !options.startNow)) {
      process.stderr.write(typeof options === 'string' ? options : SERVICE_USAGE);
      return 1;
    }
    if (refuseUnlessRoot()) return 1;
    await currentPlatform().service[verb](options);
    return 0;
  };
}

const COMMANDS: Readonly<Record<string, (argv: readonly string[]) => Promise<number>>> = {
  serve: runServe,
  'stop-all': runStopAll,
  'install-service': runService('install'),
  'uninstall-service': runService('uninstall'),
};

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const run = command === undefined || !Object.hasOwn(COMMANDS, command) ? undefined : COMMANDS[command];
  if (!run) {
    process.stderr.write(`${SERVE_USAGE}${STOP_ALL_USAGE}${SERVICE_USAGE}`);
    return 1;
  }
  try {
    return await run(rest);
  } catch (error) {
    process.stderr.write(`wirefly-helper: ${(error as Error).message}\n`);
    return 1;
  }
}
