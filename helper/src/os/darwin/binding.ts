// macOS's one boundary: everything os/darwin asks of the system passes through
// this object, and nothing else in the folder touches the OS. The real binding
// (system-binding.ts) runs the tools and calls libSystem through koffi; tests
// hand in a recording fake that answers as macOS would. The calls are the bare
// C ones, with memory passed as addresses: the structs they take (sockaddr_ctl,
// ctl_info, msghdr, cmsghdr, pollfd...) are laid out in TypeScript, where the
// unit tests check them byte by byte.
import type { CodeFiles } from './code-location.js';

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool to its end; rejects with CommandFailed (os/command.ts) on a non-zero exit. */
export type DarwinCommandRunner = (
  argv: readonly string[],
  options?: { readonly input?: string },
) => Promise<CommandResult>;

/** Memory outside the JavaScript heap, so that C can keep and write through its address. */
export interface NativeMemory {
  readonly address: bigint;
  /** The same memory, seen from JavaScript. */
  readonly bytes: Uint8Array;
}

/**
 * libSystem's calls, each returning what C returns, or minus errno where C
 * returns -1 (so a caller sees the reason without a second call).
 */
export interface DarwinSyscalls {
  alloc(size: number): NativeMemory;
  free(memory: NativeMemory): void;
  socket(domain: number, type: number, protocol: number): number;
  ioctl(fd: number, request: number, argument: bigint): number;
  connect(fd: number, address: bigint, length: number): number;
  bind(fd: number, address: bigint, length: number): number;
  getsockname(fd: number, address: bigint, lengthCell: bigint): number;
  getsockopt(fd: number, level: number, name: number, value: bigint, lengthCell: bigint): number;
  setsockopt(fd: number, level: number, name: number, value: bigint, length: number): number;
  fcntl(fd: number, command: number, argument: number): number;
  read(fd: number, buffer: bigint, length: number): number;
  write(fd: number, buffer: bigint, length: number): number;
  recvmsg(fd: number, message: bigint, flags: number): number;
  sendmsg(fd: number, message: bigint, flags: number): number;
  close(fd: number): number;
  /** Calls `ready` on the event loop whenever `fd` is readable, until the returned function is called. */
  watchReadable(fd: number, ready: () => void): () => void;
}

/** Who is logged in at the Mac's screen, as SCDynamicStoreCopyConsoleUser reports it. */
export interface ConsoleUser {
  readonly name: string;
  readonly uid: number;
}

export interface DarwinBinding {
  /** ifconfig, route, pfctl, networksetup, launchctl: always as argument arrays, never through a shell. */
  readonly run: DarwinCommandRunner;
  /**
   * Calls `changed` when the routing table changes (`route -n monitor`), until
   * the returned function is called.
   */
  watchRoutes(changed: () => void): () => void;
  readonly sys: DarwinSyscalls;
  /** Undefined while nobody is logged in at the screen. */
  consoleUser(): ConsoleUser | undefined;
  /** The file system as the check of the helper's own files reads it (code-location.ts). */
  readonly files: CodeFiles;
}
