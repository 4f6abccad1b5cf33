// wirefly-helper serve --user UID ...: the privileged helper the app and the
// wirefly command talk to.
import { parseServeArguments, serve, SERVE_USAGE } from '../service/serve.js';

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'serve') {
    process.stderr.write(SERVE_USAGE);
    return 1;
  }
  const options = parseServeArguments(rest);
  if (typeof options === 'string') {
    process.stderr.write(options);
    return 1;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('wirefly-helper: the helper changes the system\'s networking and must run as root\n');
    return 1;
  }
  try {
    await serve(options);
    return 0;
  } catch (error) {
    process.stderr.write(`wirefly-helper: ${(error as Error).message}\n`);
    return 1;
  }
}
