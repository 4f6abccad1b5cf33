// UDP datagrams of one size through a tunnel and back, each one checked: an
// echo process in one namespace returns what it receives, a client process in
// another sends datagrams one at a time (a sequence number and a pattern
// derived from it) and checks each echo before sending the next. One datagram
// in flight at a time, so that no socket buffer on the way can overflow: this
// checks that datagrams of the size arrive whole, not how fast. Run as a
// program, this file is either side: the tests start it inside a namespace,
// since a socket belongs to the namespace of its process.
import { createSocket, type Socket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import type { Namespace } from './namespace.js';

export interface UdpProbeResult {
  readonly sent: number;
  /** Echoes that came back whole, the same bytes as sent. */
  readonly intact: number;
  readonly corrupt: number;
}

const PORT = 5301;
const ECHO_WAIT_MS = 2_000;

function datagramFor(sequence: number, length: number): Buffer {
  const datagram = Buffer.alloc(length);
  datagram.writeUInt32BE(sequence, 0);
  for (let i = 4; i < length; i++) datagram[i] = (sequence * 31 + i) & 0xff;
  return datagram;
}

function socketFor(address: string): Socket {
  return createSocket({ type: address.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 1 << 20 });
}

function echo(address: string): void {
  const socket = socketFor(address);
  socket.on('message', (datagram, from) => socket.send(datagram, from.port, from.address));
  socket.bind(PORT, address, () => process.stdout.write('ready\n'));
}

async function probe(address: string, length: number, count: number): Promise<UdpProbeResult> {
  const socket = socketFor(address);
  let waiting: ((datagram: Buffer | undefined) => void) | undefined;
  socket.on('message', (datagram) => waiting?.(datagram));
  let intact = 0;
  let corrupt = 0;
  for (let sequence = 0; sequence < count; sequence++) {
    const expected = datagramFor(sequence, length);
    const echoed = await new Promise<Buffer | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), ECHO_WAIT_MS);
      waiting = (datagram) => {
        clearTimeout(timer);
        resolve(datagram);
      };
      socket.send(expected, PORT, address);
    });
    if (echoed?.equals(expected)) intact++;
    else if (echoed) corrupt++;
  }
  socket.close();
  return { sent: count, intact, corrupt };
}

/**
 * Sends `count` datagrams of `length` bytes from `from` to `address` (an
 * address of `to`), one at a time, and counts the echoes that came back whole.
 */
export async function udpProbe(
  from: Namespace,
  to: Namespace,
  address: string,
  length: number,
  count: number,
): Promise<UdpProbeResult> {
  const file = fileURLToPath(import.meta.url);
  const echoer = to.spawn(process.execPath, [file, 'echo', address], { streamStdio: true });
  try {
    const first = await echoer.stdout.setEncoding('utf8')[Symbol.asyncIterator]().next();
    if (first.done || first.value !== 'ready\n')
      throw new Error(`UDP echo did not get ready: ${echoer.describeExit()}: ${echoer.log()}`);
    return JSON.parse(
      await from.exec(process.execPath, [file, 'probe', address, String(length), String(count)]),
    ) as UdpProbeResult;
  } finally {
    await echoer.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [role, address, length, count] = process.argv.slice(2);
  if (role === 'echo') echo(address!);
  else if (role === 'probe')
    process.stdout.write(`${JSON.stringify(await probe(address!, Number(length), Number(count)))}\n`);
  else throw new Error('usage: udp-probe echo ADDRESS | probe ADDRESS LENGTH COUNT');
}
