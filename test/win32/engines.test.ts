// Two engines in two node.exe processes under Wine carry packets to each
// other over real Winsock UDP on loopback: each is configured through its
// UAPI named pipe (where wireguard-go for Windows puts it, so where wg.exe
// looks), a packet injected into one's TUN starts the handshake and comes out
// of the other's, and one goes back; the UAPI get then shows the handshake
// and the bytes. Then one moves to another port through the pipe: its engine
// tells of the move, and the other roams to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { generatePrivateKey, publicKeyFromPrivate } from '../../helper/src/config/keys.js';
import { uapiPipePath } from '../../helper/src/os/win32/control-endpoint.js';
import type { PeerCommand, PeerReport } from './support/engine-peer.js';

const PEER_SCRIPT = fileURLToPath(new URL('./support/engine-peer.js', import.meta.url));

class Peer {
  readonly written: string[] = [];
  /** The ports the engine's UDP moved to, as its onListenPortChanged told them. */
  readonly rebound: number[] = [];
  private waiters: (() => void)[] = [];
  port = 0;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.on('message', (report: PeerReport) => {
      if ('written' in report) this.written.push(report.written);
      if ('rebound' in report) this.rebound.push(report.rebound);
      if ('error' in report) this.written.push(`error: ${report.error}`);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async start(name: string): Promise<Peer> {
    const child = fork(PEER_SCRIPT, [name], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const peer = new Peer(name, child);
    peer.port = await new Promise<number>((resolve, reject) => {
      child.once('message', (report: PeerReport) =>
        'ready' in report ? resolve(report.port) : reject(new Error(JSON.stringify(report))),
      );
      child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
    });
    return peer;
  }

  send(command: PeerCommand): void {
    this.child.send(command);
  }

  async nextWritten(timeoutMs: number): Promise<string> {
    await this.until(() => this.written.length > 0, 'wrote no packet to its TUN', timeoutMs);
    return this.written.shift()!;
  }

  async nextRebound(timeoutMs: number): Promise<number> {
    await this.until(() => this.rebound.length > 0, 'told of no new port', timeoutMs);
    return this.rebound.shift()!;
  }

  private async until(condition: () => boolean, failure: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`${this.name} ${failure} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.send({ close: true });
    await exited;
  }
}

/** One UAPI exchange over the interface's named pipe, as wg.exe has it. */
function uapi(ifname: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(uapiPipePath(ifname));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.endsWith('\n\n')) {
        socket.end();
        resolve(answer);
      }
    });
    socket.on('error', reject);
    socket.write(request);
  });
}

function hex(key: Uint8Array): string {
  return Buffer.from(key).toString('hex');
}

/** An IPv4 UDP packet from `source` to `destination` with `payload`, header checksum included. */
function ipv4Packet(source: number[], destination: number[], payload: string): Buffer {
  const body = Buffer.from(payload);
  const packet = Buffer.alloc(28 + body.length);
  packet[0] = 0x45;
  packet.writeUInt16BE(packet.length, 2);
  packet[8] = 64;
  packet[9] = 17;
  packet.set(source, 12);
  packet.set(destination, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += packet.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  packet.writeUInt16BE(~sum & 0xffff, 10);
  packet.writeUInt16BE(40000, 20);
  packet.writeUInt16BE(40001, 22);
  packet.writeUInt16BE(8 + body.length, 24);
  body.copy(packet, 28);
  return packet;
}

test('two engines in two node.exe processes: handshake and data both ways over Winsock UDP on loopback; a new listen port told and roamed to', async (t) => {
  const suffix = `${process.pid}`;
  const [a, b] = await Promise.all([Peer.start(`wfa${suffix}`), Peer.start(`wfb${suffix}`)]);
  t.after(() => Promise.all([a.close(), b.close()]));
  const keyA = generatePrivateKey();
  const keyB = generatePrivateKey();
  const configure = (peer: Peer, own: Uint8Array, other: Uint8Array, port: number, allowed: string) =>
    uapi(
      peer.name,
      `set=1\nprivate_key=${hex(own)}\nreplace_peers=true\npublic_key=${hex(publicKeyFromPrivate(other))}\n` +
        `endpoint=127.0.0.1:${port}\nreplace_allowed_ips=true\nallowed_ip=${allowed}\n\n`,
    );
  assert.equal(await configure(a, keyA, keyB, b.port, '10.44.0.2/32'), 'errno=0\n\n');
  assert.equal(await configure(b, keyB, keyA, a.port, '10.44.0.1/32'), 'errno=0\n\n');

  const there = ipv4Packet([10, 44, 0, 1], [10, 44, 0, 2], 'from a, over Winsock');
  a.send({ inject: there.toString('hex') });
  assert.equal(await b.nextWritten(20_000), there.toString('hex'));
  const back = ipv4Packet([10, 44, 0, 2], [10, 44, 0, 1], 'and back from b');
  b.send({ inject: back.toString('hex') });
  assert.equal(await a.nextWritten(10_000), back.toString('hex'));

  const state = await uapi(a.name, 'get=1\n\n');
  assert.match(state, new RegExp(`^public_key=${hex(publicKeyFromPrivate(keyB))}$`, 'm'));
  assert.match(state, /^last_handshake_time_sec=[1-9]\d*$/m);
  assert.match(state, /^rx_bytes=[1-9]\d*$/m);
  assert.match(state, /^tx_bytes=[1-9]\d*$/m);
  assert.match(state, new RegExp(`^endpoint=127\\.0\\.0\\.1:${b.port}$`, 'm'));
  assert.deepEqual([a.written, b.written], [[], []], 'nothing else came out of either TUN');

  // wg set listen-port on b (0: any free one): its Winsock sockets move, it says so (what a port-based
  // kill switch follows), and a, hearing b's next packet from there, roams to it.
  assert.equal(await uapi(b.name, 'set=1\nlisten_port=0\n\n'), 'errno=0\n\n');
  const port = await b.nextRebound(5_000);
  assert.notEqual(port, b.port);
  assert.match(await uapi(b.name, 'get=1\n\n'), new RegExp(`^listen_port=${port}$`, 'm'));
  const moved = ipv4Packet([10, 44, 0, 2], [10, 44, 0, 1], 'from b, from its new port');
  b.send({ inject: moved.toString('hex') });
  assert.equal(await a.nextWritten(10_000), moved.toString('hex'));
  assert.match(await uapi(a.name, 'get=1\n\n'), new RegExp(`^endpoint=127\\.0\\.0\\.1:${port}$`, 'm'));
  assert.equal(await uapi(b.name, `set=1\nlisten_port=${port}\n\n`), 'errno=0\n\n');
  // What b reports next comes after any word of a move, on the same channel.
  const after = ipv4Packet([10, 44, 0, 1], [10, 44, 0, 2], 'from a, after the same port was set again');
  a.send({ inject: after.toString('hex') });
  assert.equal(await b.nextWritten(10_000), after.toString('hex'));
  assert.deepEqual(b.rebound, [], 'the same port again: no move, no word of one');
});
