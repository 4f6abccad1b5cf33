// Access lists for what the helper creates on Windows, as SDDL: the helper's
// pipe (SYSTEM, Administrators and the desktop user), the wg(8) control pipe
// (SYSTEM and Administrators, labelled high integrity as wireguard-go's is),
// and the service's state folder (SYSTEM and Administrators; the boot copies
// hold private keys).
// Built as text (pure), applied with SetNamedSecurityInfoW and read back with
// GetNamedSecurityInfoW through advapi32; binary SIDs read back as text.
import { declare, library, loadKoffi, Win32Error, lastError, type Out } from './koffi.js';

export const SYSTEM_SID = 'S-1-5-18';
export const ADMINISTRATORS_SID = 'S-1-5-32-544';
const USER_SID = /^S-1-5-21(-\d{1,10}){4}$/;

export function isUserSid(value: string): boolean {
  return USER_SID.test(value);
}

/** Protected (inherits nothing): full access for SYSTEM and Administrators, read and write for the user. */
export function helperPipeSddl(userSid: string): string {
  if (!isUserSid(userSid)) throw new Error(`"${userSid}" is not a user's SID (S-1-5-21-...)`);
  return `D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GRGW;;;${userSid})`;
}

/** SYSTEM and Administrators alone. */
export const ADMINISTRATORS_ONLY_SDDL = 'D:P(A;;GA;;;SY)(A;;GA;;;BA)';

/**
 * The wg(8) control pipe, as wireguard-go labels its own: SYSTEM and
 * Administrators, and a high mandatory label with no-read-up, no-write-up and
 * no-execute-up, so that a process below high integrity is refused even when
 * its token holds Administrators enabled (one that lowered its own integrity
 * to sandbox itself, say): the pipe hands out private keys.
 */
export const UAPI_PIPE_SDDL = `${ADMINISTRATORS_ONLY_SDDL}S:(ML;;NWNRNX;;;HI)`;

/** For folders: the same, inherited by everything in them (object and container inherit). */
export const ADMINISTRATORS_ONLY_TREE_SDDL = 'D:P(A;OICI;GA;;;SY)(A;OICI;GA;;;BA)';

const SDDL_REVISION_1 = 1;
const SE_FILE_OBJECT = 1;
const DACL_SECURITY_INFORMATION = 0x4;
/** The SACL's mandatory label alone: setting it needs no SeSecurityPrivilege (an audit SACL would), only WRITE_OWNER and, for a label above the caller's integrity, SeRelabelPrivilege; LocalSystem runs at system integrity. */
export const LABEL_SECURITY_INFORMATION = 0x10;
const PROTECTED_DACL_SECURITY_INFORMATION = 0x80000000;
const ERROR_ACCESS_DENIED = 5;

const convertSddl = declare<(sddl: string, revision: number, sd: Out<unknown>, size: Out<number>) => boolean>(
  'advapi32.dll',
  'bool __stdcall ConvertStringSecurityDescriptorToSecurityDescriptorW(str16 sddl, uint32 revision, _Out_ void **sd, _Out_ uint32 *size)',
);
const securityDescriptorDacl = declare<
  (sd: unknown, present: Out<number>, dacl: Out<unknown>, defaulted: Out<number>) => boolean
>(
  'advapi32.dll',
  'bool __stdcall GetSecurityDescriptorDacl(void *sd, _Out_ int *present, _Out_ void **dacl, _Out_ int *defaulted)',
);
const securityDescriptorSacl = declare<
  (sd: unknown, present: Out<number>, sacl: Out<unknown>, defaulted: Out<number>) => boolean
>(
  'advapi32.dll',
  'bool __stdcall GetSecurityDescriptorSacl(void *sd, _Out_ int *present, _Out_ void **sacl, _Out_ int *defaulted)',
);
const setNamedSecurityInfo = declare<
  (name: string, type: number, info: number, owner: null, group: null, dacl: unknown, sacl: unknown) => number
>(
  'advapi32.dll',
  'uint32 __stdcall SetNamedSecurityInfoW(str16 name, int type, uint32 info, void *owner, void *group, void *dacl, void *sacl)',
);
const getNamedSecurityInfo = declare<
  (
    name: string,
    type: number,
    info: number,
    owner: Out<unknown>,
    group: Out<unknown>,
    dacl: Out<unknown>,
    sacl: Out<unknown>,
    sd: Out<unknown>,
  ) => number
>(
  'advapi32.dll',
  'uint32 __stdcall GetNamedSecurityInfoW(str16 name, int type, uint32 info, _Out_ void **owner, _Out_ void **group, _Out_ void **dacl, _Out_ void **sacl, _Out_ void **sd)',
);
const sddlOf = declare<
  (sd: unknown, revision: number, info: number, text: Out<unknown>, length: Out<number>) => boolean
>(
  'advapi32.dll',
  'bool __stdcall ConvertSecurityDescriptorToStringSecurityDescriptorW(void *sd, uint32 revision, uint32 info, _Out_ void **text, _Out_ uint32 *length)',
);
const sidToString = declare<(sid: unknown, text: Out<unknown>) => boolean>(
  'advapi32.dll',
  'bool __stdcall ConvertSidToStringSidW(void *sid, _Out_ void **text)',
);
const localFree = declare<(memory: unknown) => unknown>('kernel32.dll', 'void * __stdcall LocalFree(void *memory)');

/** A binary SID (a pointer to it) as text, "S-1-5-...". */
export function sidString(sid: unknown): string {
  const text: Out<unknown> = [null];
  if (!sidToString()(sid, text)) throw new Win32Error('ConvertSidToStringSidW', lastError()());
  try {
    return loadKoffi().decode(text[0], 'char16_t', -1) as string;
  } finally {
    localFree()(text[0]);
  }
}

let underWine: boolean | undefined;

/** Wine's ntdll exports wine_get_version, Windows' does not. */
export function runningUnderWine(): boolean {
  if (underWine === undefined) {
    try {
      library('ntdll.dll').func('const char *wine_get_version()');
      underWine = true;
    } catch {
      underWine = false;
    }
  }
  return underWine;
}

/**
 * Replaces the access list of the file, folder or pipe at `path` with the
 * one `sddl` describes, protected from inheriting its parent's; and its
 * mandatory label too where `sddl` has one (an "S:(ML;...)" part).
 */
export function applyAccessList(path: string, sddl: string): void {
  const descriptor: Out<unknown> = [null];
  if (!convertSddl()(sddl, SDDL_REVISION_1, descriptor, [0])) {
    throw new Win32Error('ConvertStringSecurityDescriptorToSecurityDescriptorW', lastError()());
  }
  try {
    const present: Out<number> = [0];
    const dacl: Out<unknown> = [null];
    if (!securityDescriptorDacl()(descriptor[0], present, dacl, [0]) || !present[0]) {
      throw new Win32Error('GetSecurityDescriptorDacl', lastError()());
    }
    const labelled: Out<number> = [0];
    const sacl: Out<unknown> = [null];
    if (!securityDescriptorSacl()(descriptor[0], labelled, sacl, [0])) {
      throw new Win32Error('GetSecurityDescriptorSacl', lastError()());
    }
    const info =
      (DACL_SECURITY_INFORMATION |
        PROTECTED_DACL_SECURITY_INFORMATION |
        (labelled[0] ? LABEL_SECURITY_INFORMATION : 0)) >>>
      0;
    // One call for both: a pipe listening without its label for a moment would be reachable from medium integrity.
    let status = setNamedSecurityInfo()(path, SE_FILE_OBJECT, info, null, null, dacl[0], labelled[0] ? sacl[0] : null);
    // Wine 8 refuses LABEL_SECURITY_INFORMATION (set and get, pipes and files) with ERROR_ACCESS_DENIED even to
    // its administrator: there the access list goes on alone, so that the rest can be tested; Windows' refusal stays an error.
    if (status === ERROR_ACCESS_DENIED && labelled[0] && runningUnderWine()) {
      const daclOnly = (DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION) >>> 0;
      status = setNamedSecurityInfo()(path, SE_FILE_OBJECT, daclOnly, null, null, dacl[0], null);
    }
    if (status !== 0) throw new Win32Error(`SetNamedSecurityInfoW(${path})`, status);
  } finally {
    localFree()(descriptor[0]);
  }
}

/** The access list of `path` as SDDL ("D:..."), as Windows stores it; with `info` LABEL_SECURITY_INFORMATION, its mandatory label ("S:..."). */
export function readAccessList(path: string, info = DACL_SECURITY_INFORMATION): string {
  const descriptor: Out<unknown> = [null];
  const status = getNamedSecurityInfo()(path, SE_FILE_OBJECT, info, [null], [null], [null], [null], descriptor);
  if (status !== 0) throw new Win32Error(`GetNamedSecurityInfoW(${path})`, status);
  try {
    const text: Out<unknown> = [null];
    const length: Out<number> = [0];
    if (!sddlOf()(descriptor[0], SDDL_REVISION_1, info, text, length)) {
      throw new Win32Error('ConvertSecurityDescriptorToStringSecurityDescriptorW', lastError()());
    }
    try {
      return (loadKoffi().decode(text[0], 'char16_t', length[0]) as string).replace(/\0+$/, '');
    } finally {
      localFree()(text[0]);
    }
  } finally {
    localFree()(descriptor[0]);
  }
}

/** The access entries of an SDDL access list, each as "type;flags;rights;sid", order and flag order ignored. */
export function accessEntries(sddl: string): string[] {
  const entries = [...sddl.matchAll(/\(([^)]*)\)/g)].map((match) => {
    const [type, flags, rights, , , sid] = match[1]!.split(';');
    const sorted = (text: string | undefined) => (text?.match(/../g) ?? []).sort().join('');
    return `${type};${sorted(flags)};${sorted(rights)};${sid}`;
  });
  return entries.sort();
}
