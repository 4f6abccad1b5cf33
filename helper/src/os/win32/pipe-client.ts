// Opening the helper's pipe from the app or the CLI: before a byte is sent,
// the process serving the pipe must be the service (LocalSystem) or an
// elevated helper, else whoever created a pipe of that name first would read
// the app's requests and answer them. The pipe is opened with CreateFileW, the
// server's process looked up with GetNamedPipeServerProcessId and its token
// read; the checked handle then becomes the socket (uv_open_osfhandle, which
// the host executable exports).
import { Socket } from 'node:net';
import { declare, loadKoffi, Win32Error, lastError, type Out } from './koffi.js';
import { sidString, SYSTEM_SID } from './security.js';

export interface PipeServerIdentity {
  readonly pid: number;
  /** The user the server process runs as. */
  readonly sid: string;
  /** Whether its token is elevated (an administrator's, with UAC's consent). */
  readonly elevated: boolean;
}

/** The service runs as LocalSystem; a helper started for one session runs elevated. */
export function isTrustedHelper(identity: PipeServerIdentity): boolean {
  return identity.sid === SYSTEM_SID || identity.elevated;
}

const GENERIC_READ_WRITE = 0xc0000000;
const OPEN_EXISTING = 3;
const FILE_FLAG_OVERLAPPED = 0x40000000;
const SECURITY_SQOS_PRESENT = 0x00100000;
const SECURITY_IDENTIFICATION = 0x00010000;
const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
const TOKEN_QUERY = 0x8;
const TOKEN_USER = 1;
const TOKEN_ELEVATION = 20;
const ERROR_FILE_NOT_FOUND = 2;
const ERROR_PIPE_BUSY = 231;

const createFile = declare<
  (name: string, access: number, share: number, sa: null, disposition: number, flags: number, template: null) => unknown
>(
  'kernel32.dll',
  'void * __stdcall CreateFileW(str16 name, uint32 access, uint32 share, void *sa, uint32 disposition, uint32 flags, void *template)',
);
const closeHandle = declare<(handle: unknown) => boolean>('kernel32.dll', 'bool __stdcall CloseHandle(void *handle)');
const serverProcessId = declare<(handle: unknown, pid: Out<number>) => boolean>(
  'kernel32.dll',
  'bool __stdcall GetNamedPipeServerProcessId(void *pipe, _Out_ uint32 *pid)',
);
const openProcess = declare<(access: number, inherit: boolean, pid: number) => unknown>(
  'kernel32.dll',
  'void * __stdcall OpenProcess(uint32 access, bool inherit, uint32 pid)',
);
const openProcessToken = declare<(process: unknown, access: number, token: Out<unknown>) => boolean>(
  'advapi32.dll',
  'bool __stdcall OpenProcessToken(void *process, uint32 access, _Out_ void **token)',
);
const tokenInformation = declare<
  (token: unknown, kind: number, buffer: unknown, size: number, needed: Out<number>) => boolean
>(
  'advapi32.dll',
  'bool __stdcall GetTokenInformation(void *token, int kind, void *buffer, uint32 size, _Out_ uint32 *needed)',
);
const currentProcess = declare<() => unknown>('kernel32.dll', 'void * __stdcall GetCurrentProcess()');
const openOsHandle = declare<(handle: unknown) => number>(null, 'int uv_open_osfhandle(void *handle)');

function isInvalid(handle: unknown): boolean {
  if (handle === null) return true;
  const address = loadKoffi().address(handle);
  return address === 0n || address === 0xffffffffffffffffn;
}

/** Who runs the process behind an open pipe handle. */
export function pipeServerIdentity(pipe: unknown): PipeServerIdentity {
  const pid: Out<number> = [0];
  if (!serverProcessId()(pipe, pid)) throw new Win32Error('GetNamedPipeServerProcessId', lastError()());
  const process = openProcess()(PROCESS_QUERY_LIMITED_INFORMATION, false, pid[0]);
  if (isInvalid(process)) throw new Win32Error(`OpenProcess(${pid[0]})`, lastError()());
  try {
    return { pid: pid[0], ...processUser(process) };
  } finally {
    closeHandle()(process);
  }
}

/** The user this process runs as, and whether elevated. */
export function currentProcessUser(): { sid: string; elevated: boolean } {
  return processUser(currentProcess()());
}

function processUser(process: unknown): { sid: string; elevated: boolean } {
  const koffi = loadKoffi();
  const token: Out<unknown> = [null];
  if (!openProcessToken()(process, TOKEN_QUERY, token)) throw new Win32Error('OpenProcessToken', lastError()());
  // Memory koffi owns, so that the SID's address inside TOKEN_USER stays valid after the call.
  const buffer = koffi.alloc('uint8', 256);
  try {
    if (!tokenInformation()(token[0], TOKEN_USER, buffer, 256, [0])) {
      throw new Win32Error('GetTokenInformation(TokenUser)', lastError()());
    }
    const sid = sidString(koffi.decode(buffer, 'void *'));
    const elevated =
      tokenInformation()(token[0], TOKEN_ELEVATION, buffer, 4, [0]) && (koffi.decode(buffer, 'uint32') as number) !== 0;
    return { sid, elevated };
  } finally {
    koffi.free(buffer);
    closeHandle()(token[0]);
  }
}

export interface OpenPipeOptions {
  /** Default isTrustedHelper: the service, or an elevated helper. */
  readonly trust?: (identity: PipeServerIdentity) => boolean;
}

/**
 * Opens the pipe at `path` and returns it as a socket once its server passed
 * the check; throws (code ENOENT when nothing listens there) otherwise.
 */
export function openHelperPipe(path: string, options: OpenPipeOptions = {}): Socket {
  // SECURITY_IDENTIFICATION: a server may learn who we are, but never act as us.
  const flags = (FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION) >>> 0;
  const pipe = createFile()(path, GENERIC_READ_WRITE, 0, null, OPEN_EXISTING, flags, null);
  if (isInvalid(pipe)) {
    const code = lastError()();
    const error = new Win32Error(`CreateFileW(${path})`, code);
    const errno = code === ERROR_FILE_NOT_FOUND ? 'ENOENT' : code === ERROR_PIPE_BUSY ? 'EBUSY' : 'EACCES';
    throw Object.assign(error, { code: errno });
  }
  let identity: PipeServerIdentity;
  try {
    identity = pipeServerIdentity(pipe);
  } catch (error) {
    closeHandle()(pipe);
    throw error;
  }
  if (!(options.trust ?? isTrustedHelper)(identity)) {
    closeHandle()(pipe);
    throw Object.assign(
      new Error(`the process serving ${path} (pid ${identity.pid}, ${identity.sid}) is not Wirefly's helper service`),
      { code: 'EPERM' },
    );
  }
  const fd = openOsHandle()(pipe);
  if (fd < 0) {
    closeHandle()(pipe);
    throw new Error(`uv_open_osfhandle failed for ${path}`);
  }
  return new Socket({ fd, readable: true, writable: true });
}
