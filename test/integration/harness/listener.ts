// Waiting until a process listens on a port inside a namespace, so that what
// is sent next finds it.
import type { BackgroundProcess } from './background.js';
import type { Namespace } from './namespace.js';
import { waitFor } from './wait.js';

const LISTEN_WAIT_MS = 5_000;

export async function waitForListener(
  ns: Namespace,
  protocol: 'tcp' | 'udp',
  port: number,
  listener: BackgroundProcess,
): Promise<void> {
  const flags = protocol === 'tcp' ? '-Hltn' : '-Hlun';
  await waitFor(
    `${listener.label} to listen on ${protocol} port ${port} in ${ns.name}`,
    async () => {
      if (listener.hasExited) throw new Error(`${listener.label} ${listener.describeExit()}: ${listener.log()}`);
      return (await ns.exec('ss', [flags, 'sport', '=', `:${port}`])).trim() !== '';
    },
    LISTEN_WAIT_MS,
  );
}
