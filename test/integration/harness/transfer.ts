// A TCP transfer through the tunnel with ncat: deterministic bytes go in on one
// side, and the SHA-256 of what comes out on the other side is compared with
// the SHA-256 of what went in.
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { BackgroundProcess } from './background.js';
import { waitForListener } from './listener.js';
import type { Namespace } from './namespace.js';
import { pseudoRandomChunks } from './payload.js';
import { sleep } from './wait.js';

export interface TransferOptions {
  readonly bytes: number;
  readonly port?: number;
  /** Paces the sender, so that something can happen while the transfer is under way. */
  readonly bytesPerSecond?: number;
  readonly timeoutMs?: number;
}

export interface TransferResult {
  readonly sentBytes: number;
  readonly receivedBytes: number;
  readonly sentSha256: string;
  readonly receivedSha256: string;
  readonly seconds: number;
}

const DEFAULT_PORT = 5001;
const DEFAULT_TIMEOUT_MS = 120_000;

export class TcpTransfer {
  readonly done: Promise<TransferResult>;
  private received = 0;

  private constructor(
    private readonly sender: BackgroundProcess,
    private readonly receiver: BackgroundProcess,
    options: TransferOptions,
  ) {
    this.done = this.run(options);
    // Failure is reported to whoever awaits `done`, possibly only after other steps.
    this.done.catch(() => undefined);
  }

  /** Starts sending `options.bytes` from `from` to `address:port`, which must be an address of `to`. */
  static async start(from: Namespace, to: Namespace, address: string, options: TransferOptions): Promise<TcpTransfer> {
    const port = options.port ?? DEFAULT_PORT;
    const receiver = to.spawn('ncat', ['-l', '--recv-only', address, String(port)], { streamStdio: true });
    receiver.stdin.end();
    await waitForListener(to, 'tcp', port, receiver);
    const sender = from.spawn('ncat', ['--send-only', address, String(port)], { streamStdio: true });
    return new TcpTransfer(sender, receiver, options);
  }

  /** Bytes that have come out of the tunnel so far. */
  get receivedBytes(): number {
    return this.received;
  }

  private async run(options: TransferOptions): Promise<TransferResult> {
    const started = performance.now();
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(() => {
      void this.sender.stop();
      void this.receiver.stop();
    }, timeoutMs);
    try {
      // Both ends are waited for even when one fails, so the error can say why.
      const [sent, received] = await Promise.allSettled([this.send(options), this.receive()]);
      const exits = await Promise.all([this.sender.exited, this.receiver.exited]);
      if (sent.status === 'rejected' || received.status === 'rejected' || exits.some((exit) => exit.code !== 0)) {
        const why = [this.sender, this.receiver].map((p) => `${p.label} ${p.describeExit()}: ${p.log()}`);
        if (sent.status === 'rejected') why.push(`sending: ${String(sent.reason)}`);
        if (received.status === 'rejected') why.push(`receiving: ${String(received.reason)}`);
        throw new Error(
          `transfer failed after ${this.received} of ${options.bytes} bytes (timeout ${timeoutMs} ms):\n${why.join('\n')}`,
        );
      }
      return {
        sentBytes: sent.value.bytes,
        receivedBytes: this.received,
        sentSha256: sent.value.sha256,
        receivedSha256: received.value,
        seconds: (performance.now() - started) / 1000,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  private async send(options: TransferOptions): Promise<{ bytes: number; sha256: string }> {
    const hash = createHash('sha256');
    let bytes = 0;
    const started = performance.now();
    async function* paced(): AsyncGenerator<Buffer> {
      for (const chunk of pseudoRandomChunks(options.bytes)) {
        if (options.bytesPerSecond) {
          const due = started + (bytes / options.bytesPerSecond) * 1000;
          const wait = due - performance.now();
          if (wait > 0) await sleep(wait);
        }
        hash.update(chunk);
        bytes += chunk.length;
        yield chunk;
      }
    }
    await pipeline(paced(), this.sender.stdin);
    return { bytes, sha256: hash.digest('hex') };
  }

  private async receive(): Promise<string> {
    const hash = createHash('sha256');
    for await (const chunk of this.receiver.stdout) {
      hash.update(chunk as Buffer);
      this.received += (chunk as Buffer).length;
    }
    return hash.digest('hex');
  }
}

export async function tcpTransfer(
  from: Namespace,
  to: Namespace,
  address: string,
  options: TransferOptions,
): Promise<TransferResult> {
  return (await TcpTransfer.start(from, to, address, options)).done;
}
