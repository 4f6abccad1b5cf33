// wirefly-engine [-f|--foreground] IFNAME — a userspace WireGuard interface that
// behaves like `wireguard-go IFNAME`, so wg(8) and wg-quick(8) drive it unchanged.
// Without -f it returns to the shell once the TUN device and the control socket
// exist, leaving the interface running in the background.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WireGuardInterface } from '../runtime/wireguard-interface.js';
import { createLogger, parseLogLevel } from '../runtime/log.js';

const USAGE = 'Usage: wirefly-engine [-f/--foreground] INTERFACE-NAME';
/** The daemon tells its parent on this descriptor that it is ready. */
const READY_FD = 3;
const FOREGROUND_ENV = 'WG_PROCESS_FOREGROUND';

interface Arguments {
  readonly foreground: boolean;
  readonly name: string;
}

function parseArguments(argv: readonly string[]): Arguments | string {
  let foreground = false;
  const rest: string[] = [];
  for (const arg of argv) {
    if (arg === '-f' || arg === '--foreground') foreground = true;
    else if (arg === '--version') return `wirefly-engine ${process.env.npm_package_version ?? ''}`.trim();
    else if (arg.startsWith('-')) return USAGE;
    else rest.push(arg);
  }
  if (rest.length !== 1) return USAGE;
  return { foreground: foreground || process.env[FOREGROUND_ENV] === '1', name: rest[0]! };
}

/** Re-runs this program in the background and waits until it reports ready. */
function daemonize(name: string): Promise<number> {
  const script = fileURLToPath(import.meta.url);
  // As wireguard-go: the daemon keeps stdout/stderr only when LOG_LEVEL asks for logs.
  const keepOutput = process.env.LOG_LEVEL !== undefined && parseLogLevel(process.env.LOG_LEVEL) !== 'silent';
  const child = spawn(process.execPath, [script, name], {
    detached: true,
    env: { ...process.env, [FOREGROUND_ENV]: '1', WIREFLY_READY_FD: String(READY_FD) },
    stdio: ['ignore', keepOutput ? 'inherit' : 'ignore', keepOutput ? 'inherit' : 'ignore', 'pipe'],
  });
  return new Promise((resolve) => {
    let ready = false;
    const readyPipe = child.stdio[READY_FD] as NodeJS.ReadableStream;
    readyPipe.on('data', () => {
      ready = true;
      child.unref();
      (readyPipe as unknown as { destroy(): void }).destroy();
      resolve(0);
    });
    child.on('exit', (code) => {
      if (!ready) resolve(code || 1);
    });
  });
}

async function runForeground(name: string): Promise<void> {
  const level = parseLogLevel(process.env.LOG_LEVEL);
  const log = createLogger(name, level, (line) => process.stderr.write(line));
  let wg: WireGuardInterface;
  try {
    wg = await WireGuardInterface.start({ name, log });
  } catch (error) {
    log('error', `failed to start: ${(error as Error).message}`);
    process.exitCode = 1;
    return;
  }
  log('verbose', `interface ${wg.tun.name} is up`);
  wg.onClosed(() => {
    log('verbose', 'shutting down');
    process.exit(0);
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void wg.close());
  const readyFd = process.env.WIREFLY_READY_FD;
  if (readyFd) {
    const ready = createWriteStream('', { fd: Number(readyFd) });
    ready.end('ready\n');
  }
}

export async function main(argv: readonly string[]): Promise<void> {
  const parsed = parseArguments(argv);
  if (typeof parsed === 'string') {
    process.stderr.write(`${parsed}\n`);
    process.exitCode = parsed === USAGE ? 1 : 0;
    return;
  }
  if (process.platform === 'linux' && process.getuid?.() !== 0) {
    process.stderr.write('wirefly-engine: creating a TUN device needs root\n');
    process.exitCode = 1;
    return;
  }
  if (parsed.foreground) await runForeground(parsed.name);
  else process.exitCode = await daemonize(parsed.name);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv.slice(2));
