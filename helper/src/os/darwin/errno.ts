// macOS's errno values (sys/errno.h) for the errors the darwin code handles
// or reports; several differ from Linux's (EAGAIN is 35 there, 11 here).
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EBADF: 9,
  EACCES: 13,
  EBUSY: 16,
  EINVAL: 22,
  EAGAIN: 35,
  EMSGSIZE: 40,
  EPROTONOSUPPORT: 43,
  EAFNOSUPPORT: 47,
  EADDRINUSE: 48,
  EADDRNOTAVAIL: 49,
  ENETDOWN: 50,
  ENETUNREACH: 51,
  ENOBUFS: 55,
  EHOSTUNREACH: 65,
} as const;

export type ErrnoName = keyof typeof ERRNO;

const NAMES = new Map<number, ErrnoName>(Object.entries(ERRNO).map(([name, value]) => [value, name as ErrnoName]));

/** An errno from a libSystem call, shaped as Node's own system errors are (code, errno, syscall). */
export class SyscallError extends Error {
  readonly code: string;
  readonly errno: number;
  constructor(
    readonly syscall: string,
    errno: number,
  ) {
    const code = NAMES.get(errno) ?? `errno ${errno}`;
    super(`${syscall} failed: ${code}`);
    this.name = 'SyscallError';
    this.code = code;
    this.errno = errno;
  }
}

/** A C result that is minus errno on failure: the value, or a thrown SyscallError. */
export function check(syscall: string, result: number): number {
  if (result < 0) throw new SyscallError(syscall, -result);
  return result;
}
