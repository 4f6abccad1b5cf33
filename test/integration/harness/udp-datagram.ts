// Single UDP datagrams one way through a tunnel, for checks of what a peer
// lets in: an ncat listener collects what arrives, ncat sends.
// The sender always uses one source port, because a UDP listener of ncat
// takes datagrams only from the first source it heard from.
import type { BackgroundProcess } from './background.js';
import { waitForListener } from './listener.js';
import type { Namespace } from './namespace.js';

const LISTEN_PORT = 1111;
const SOURCE_PORT = 1112;

export class UdpListener {
  private text = '';

  private constructor(private readonly process: BackgroundProcess) {
    process.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.text += chunk));
  }

  static async start(ns: Namespace): Promise<UdpListener> {
    const process = ns.spawn('ncat', ['-l', '-u', '--recv-only', String(LISTEN_PORT)], { streamStdio: true });
    process.stdin.end();
    await waitForListener(ns, 'udp', LISTEN_PORT, process);
    return new UdpListener(process);
  }

  /** Everything received so far, in order. */
  get received(): string {
    return this.text;
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }
}

/** Sends `text` as one datagram from `from` to a listener at `address`. */
export async function sendUdpDatagram(from: Namespace, address: string, text: string): Promise<void> {
  await from.exec('ncat', ['-u', '--send-only', '-p', String(SOURCE_PORT), address, String(LISTEN_PORT)], {
    input: text,
  });
}
