// The root helper (`wirefly-helper serve`) in a namespace, and the `wirefly`
// CLI that talks to it, both run as root: for the tests of what the helper
// does to the network, where who may reach its socket is not the question.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackgroundProcess } from './background.js';
import type { Lab } from './lab.js';
import type { Namespace } from './namespace.js';

function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

const HELPER = join(repositoryRoot(), 'helper', 'bin', 'wirefly-helper');
const CLI = join(repositoryRoot(), 'helper', 'bin', 'wirefly');
const START_TIMEOUT_MS = 20_000;

export class RootHelper {
  private constructor(
    readonly ns: Namespace,
    readonly process: BackgroundProcess,
    readonly socket: string,
  ) {}

  /** Starts a helper whose socket, journal and settings live in the lab's directory; resolves once it serves. */
  static async start(lab: Lab, ns: Namespace, settings: Record<string, unknown> = {}): Promise<RootHelper> {
    const socket = join(lab.dir, `${ns.name}.sock`);
    const settingsPath = join(lab.dir, `${ns.name}-helper.json`);
    writeFileSync(settingsPath, JSON.stringify(settings));
    const process = ns.spawn(HELPER, [
      'serve',
      '--user',
      '0',
      '--socket',
      socket,
      '--state-dir',
      join(lab.dir, `${ns.name}-state`),
      '--settings',
      settingsPath,
      '--verbose',
    ]);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!process.log().includes('serving uid')) {
      if (process.hasExited) throw new Error(`helper ${process.describeExit()}:\n${process.log()}`);
      if (Date.now() > deadline) throw new Error(`the helper did not serve within ${START_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return new RootHelper(ns, process, socket);
  }

  cli(args: readonly string[]): Promise<string> {
    return this.ns.exec(globalThis.process.execPath, [CLI, ...args, '--socket', this.socket]);
  }

  /** The helper's log since `from` (an offset into it). */
  logSince(from: number): string {
    return this.process.log().slice(from);
  }
}
