// One engine in its own node.exe for the Windows suite: the real runtime
// (WireGuardInterface: Winsock UDP, its UAPI named pipe) around an in-memory
// TUN. The parent (over fork's IPC channel) configures it through the UAPI
// pipe like wg.exe, injects packets into its TUN and hears what it writes.
import { WireGuardInterface } from '../../../helper/src/runtime/wireguard-interface.js';
import { MemoryTun } from './memory-tun.js';

export type PeerCommand = { readonly inject: string } | { readonly close: true };
export type PeerReport =
  | { readonly ready: true; readonly port: number }
  | { readonly written: string }
  | { readonly rebound: number }
  | { readonly error: string };

const name = process.argv[2]!;
const send = (report: PeerReport) => process.send?.(report);
let tun: MemoryTun | undefined;

try {
  const wg = await WireGuardInterface.start({
    name,
    log: (level, message) => {
      if (level === 'error') send({ error: message });
    },
    cryptoWorkers: 0,
    openTun: (tunName) => {
      tun = new MemoryTun(tunName, (packets) => {
        for (const packet of packets) send({ written: Buffer.from(packet).toString('hex') });
      });
      return tun;
    },
  });
  wg.onListenPortChanged((port) => send({ rebound: port }));
  process.on('message', (command: PeerCommand) => {
    if ('inject' in command) tun?.inject([Buffer.from(command.inject, 'hex')]);
    else void wg.close().then(() => process.exit(0));
  });
  send({ ready: true, port: wg.listenPort });
} catch (error) {
  send({ error: (error as Error).stack ?? String(error) });
  process.exit(1);
}
