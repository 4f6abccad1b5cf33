// A long-running process started by a test (a WireGuard daemon, an ncat
// listener). Its stderr, and its stdout unless the caller streams it, are kept
// so that a failing test can show what the process said.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { inNamespace } from './exec.js';

export interface BackgroundOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Hand stdin and stdout to the caller instead of capturing stdout as text. */
  readonly streamStdio?: boolean;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Keeps the last part of a log: a verbose daemon may say a lot during a long transfer. */
const OUTPUT_LIMIT = 4 * 1024 * 1024;
const STOP_GRACE_MS = 3_000;

export class BackgroundProcess {
  readonly label: string;
  readonly pid: number;
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private output = '';
  private exit: Exit | undefined;

  constructor(ns: string | undefined, cmd: string, args: readonly string[], options: BackgroundOptions = {}) {
    const argv = inNamespace(ns, cmd, args);
    this.label = `${ns ?? 'host'}: ${[cmd, ...args].join(' ')}`;
    this.child = spawn(argv[0]!, argv.slice(1), {
      env: options.env ?? process.env,
      stdio: [options.streamStdio ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    if (this.child.pid === undefined) throw new Error(`could not start ${this.label}`);
    this.pid = this.child.pid;
    if (!options.streamStdio) this.child.stdout?.on('data', (chunk: Buffer) => this.record(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => this.record(chunk));
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get stdin(): Writable {
    if (!this.child.stdin) throw new Error(`${this.label}: stdin is not streamed`);
    return this.child.stdin;
  }

  get stdout(): Readable {
    if (!this.child.stdout) throw new Error(`${this.label}: no stdout`);
    return this.child.stdout;
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** What the process wrote so far (stderr, and stdout unless streamed). */
  log(): string {
    return this.output;
  }

  describeExit(): string {
    if (!this.exit) return 'still running';
    return this.exit.signal ? `killed by ${this.exit.signal}` : `exited with code ${this.exit.code}`;
  }

  /** SIGTERM, then SIGKILL if it has not exited within a grace period. */
  async stop(): Promise<Exit> {
    if (this.exit) return this.exit;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private record(chunk: Buffer): void {
    this.output += chunk.toString();
    if (this.output.length > OUTPUT_LIMIT) this.output = this.output.slice(-OUTPUT_LIMIT / 2);
  }
}
