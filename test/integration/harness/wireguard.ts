// The WireGuard implementations under test, started the same way: a
// wireguard-go compatible daemon in the foreground inside a namespace, ready
// once its UAPI socket exists, then configured with the real `wg` tool.
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackgroundProcess } from './background.js';
import type { Namespace } from './namespace.js';

export type ImplementationName = 'wireguard-go' | 'wirefly';

export interface WireGuardDaemon {
  readonly implementation: ImplementationName;
  readonly ifname: string;
  readonly pid: number;
  readonly process: BackgroundProcess;
  stop(): Promise<void>;
}

export interface WireGuardImplementation {
  readonly name: ImplementationName;
  /** How reports name it, where one implementation runs in more than one setting. */
  readonly label: string;
  start(ns: Namespace, ifname: string): Promise<WireGuardDaemon>;
}

export const UAPI_DIRECTORY = '/var/run/wireguard';

export function uapiSocketPath(ifname: string): string {
  return join(UAPI_DIRECTORY, `${ifname}.sock`);
}

const SOCKET_WAIT_MS = 10_000;
const SOCKET_POLL_MS = 20;

async function waitForUapiSocket(process: BackgroundProcess, ifname: string): Promise<void> {
  const path = uapiSocketPath(ifname);
  const deadline = Date.now() + SOCKET_WAIT_MS;
  while (!existsSync(path)) {
    if (process.hasExited) {
      throw new Error(`${process.label} ${process.describeExit()} before creating ${path}:\n${process.log()}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`${process.label} did not create ${path} within ${SOCKET_WAIT_MS} ms:\n${process.log()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, SOCKET_POLL_MS));
  }
}

async function startDaemon(
  implementation: ImplementationName,
  ns: Namespace,
  ifname: string,
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<WireGuardDaemon> {
  const process = ns.spawn(cmd, args, { env: { ...globalThis.process.env, ...env } });
  try {
    await waitForUapiSocket(process, ifname);
  } catch (error) {
    await process.stop();
    throw error;
  }
  return {
    implementation,
    ifname,
    pid: process.pid,
    process,
    async stop() {
      await process.stop();
      // A daemon that had to be killed leaves its socket behind.
      rmSync(uapiSocketPath(ifname), { force: true });
    },
  };
}

export const wireguardGo: WireGuardImplementation = {
  name: 'wireguard-go',
  label: 'wireguard-go',
  start(ns, ifname) {
    return startDaemon('wireguard-go', ns, ifname, 'wireguard-go', [ifname], {
      WG_PROCESS_FOREGROUND: '1',
      LOG_LEVEL: 'verbose',
    });
  },
};

/** The repository root: the nearest ancestor with package.json, whether run from source (tsx) or from dist/. */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('repository root not found above the test harness');
    dir = parent;
  }
  return dir;
}

export function wireflyEnginePath(): string {
  return join(repositoryRoot(), 'helper', 'bin', 'wirefly-engine');
}

/** The Wirefly engine with transport crypto on `cryptoWorkers` worker threads (0: inline). */
export function wireflyWithCryptoWorkers(cryptoWorkers: number): WireGuardImplementation {
  return {
    name: 'wirefly',
    label: cryptoWorkers === 0 ? 'wirefly' : `wirefly[${cryptoWorkers} crypto workers]`,
    start(ns, ifname) {
      const engine = wireflyEnginePath();
      if (!existsSync(engine)) throw new Error(`${engine} does not exist: the Wirefly engine is not built`);
      return startDaemon('wirefly', ns, ifname, engine, ['-f', ifname], {
        LOG_LEVEL: 'verbose',
        WIREFLY_CRYPTO_WORKERS: String(cryptoWorkers),
      });
    },
  };
}

export const wirefly = wireflyWithCryptoWorkers(0);

export const IMPLEMENTATIONS: Readonly<Record<ImplementationName, WireGuardImplementation>> = {
  'wireguard-go': wireguardGo,
  wirefly,
};

export function implementationNamed(name: string): WireGuardImplementation {
  if (name !== 'wireguard-go' && name !== 'wirefly') {
    throw new Error(`unknown WireGuard implementation "${name}" (expected wireguard-go or wirefly)`);
  }
  return IMPLEMENTATIONS[name];
}
