// The real binding: macOS's tools run as argument arrays, `route -n monitor`
// for changes of the routing table, libSystem and the console user through koffi.
import { spawn } from 'node:child_process';
import { CommandFailed, runProcess } from '../command.js';
import type { ConsoleUser, DarwinBinding, DarwinCommandRunner, DarwinSyscalls } from './binding.js';
import { systemCodeFiles } from './code-location.js';
import { koffiConsoleUser } from './koffi-console-user.js';
import { koffiSyscalls } from './koffi-syscalls.js';

export const runDarwinCommand: DarwinCommandRunner = async (argv, options = {}) => {
  const outcome = await runProcess(argv, options.input === undefined ? {} : { input: options.input });
  if (outcome.exitCode !== 0) throw new CommandFailed(argv, outcome.exitCode, outcome.stderr || outcome.stdout);
  return { stdout: outcome.stdout, stderr: outcome.stderr };
};

/** route -n monitor prints a message per change, each starting with its type ("RTM_ADD: Add Route: ..."). */
export function watchRouteMonitor(changed: () => void): () => void {
  let stopped = false;
  let monitor: ReturnType<typeof spawn> | undefined;
  const start = () => {
    const child = spawn('route', ['-n', 'monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
    monitor = child;
    let partial = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('RTM_')) changed();
    });
    child.on('error', () => {});
    // A monitor that ends by itself is started again, not at once, so that a missing tool cannot spin.
    child.on('exit', () => {
      if (!stopped) setTimeout(() => stopped || start(), 1000).unref();
    });
  };
  start();
  return () => {
    stopped = true;
    monitor?.kill();
  };
}

export function systemBinding(): DarwinBinding {
  let sys: DarwinSyscalls | undefined;
  let console: (() => ConsoleUser | undefined) | undefined;
  return {
    run: runDarwinCommand,
    watchRoutes: watchRouteMonitor,
    get sys() {
      sys ??= koffiSyscalls();
      return sys;
    },
    consoleUser() {
      console ??= koffiConsoleUser();
      return console();
    },
    files: systemCodeFiles,
  };
}
