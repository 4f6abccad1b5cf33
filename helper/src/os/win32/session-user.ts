// The user logged on to the session this process runs in, as a SID: whom the
// installer registers the service for. An installer elevated over the
// shoulder (a standard user's session, an administrator's credentials typed
// at the UAC prompt) runs with the administrator's token in the desktop
// user's session, so its own token names the wrong user and the session
// names the right one. The session gives a name (WTSQuerySessionInformationW),
// the name a SID (LookupAccountNameW); the session user's token itself is out
// of reach (WTSQueryUserToken needs SeTcbPrivilege, which SYSTEM has and an
// administrator has not).
import { declare, loadKoffi, Win32Error, lastError, type Out } from './koffi.js';
import { isUserSid, sidString } from './security.js';

export interface SessionAccountApi {
  /**
   * WTSQuerySessionInformationW(WTS_CURRENT_SERVER_HANDLE, WTS_CURRENT_SESSION)
   * for WTSUserName and WTSDomainName; an empty user where nobody is logged
   * on to the session (session 0: services, a deployment tool running as SYSTEM).
   */
  sessionAccount(): { readonly user: string; readonly domain: string };
  /** LookupAccountNameW, the SID as text; undefined when the name maps to no account. */
  accountSid(account: string): { readonly sid: string; readonly type: number } | undefined;
}

/** SID_NAME_USE's SidTypeUser: LookupAccountNameW also finds groups, domains and aliases by name. */
export const SID_TYPE_USER = 1;

/** The session's user's SID, checked to be a user's (S-1-5-21-...); throws when there is none. */
export function sessionUserSid(api: SessionAccountApi = koffiSessionAccountApi()): string {
  const { user, domain } = api.sessionAccount();
  if (user === '') throw new Error('nobody is logged on to the session this runs in; name the user with --user SID');
  // Qualified, so that a local account of the same name as a domain user's is not taken for it.
  const account = domain === '' ? user : `${domain}\\${user}`;
  const found = api.accountSid(account);
  if (!found) throw new Error(`the session's user ${account} names no account`);
  if (found.type !== SID_TYPE_USER || !isUserSid(found.sid)) {
    throw new Error(`the session's user ${account} is ${found.sid} (SID type ${found.type}), not a user's SID`);
  }
  return found.sid;
}

const WTS_CURRENT_SERVER_HANDLE = null;
const WTS_CURRENT_SESSION = 0xffffffff;
const WTS_USER_NAME = 5;
const WTS_DOMAIN_NAME = 7;
/** SECURITY_MAX_SID_SIZE: every SID fits. */
const MAX_SID_BYTES = 68;
const ERROR_INSUFFICIENT_BUFFER = 122;
const ERROR_NONE_MAPPED = 1332;

const querySession = declare<
  (server: null, session: number, infoClass: number, buffer: Out<unknown>, bytes: Out<number>) => boolean
>(
  'wtsapi32.dll',
  'bool __stdcall WTSQuerySessionInformationW(void *server, uint32 session, int infoClass, _Out_ void **buffer, _Out_ uint32 *bytes)',
);
const wtsFree = declare<(memory: unknown) => void>('wtsapi32.dll', 'void __stdcall WTSFreeMemory(void *memory)');
const lookupAccountName = declare<
  (
    system: null,
    name: string,
    sid: unknown,
    sidBytes: Out<number>,
    domain: unknown,
    domainChars: Out<number>,
    use: Out<number>,
  ) => boolean
>(
  'advapi32.dll',
  'bool __stdcall LookupAccountNameW(str16 system, str16 name, void *sid, _Inout_ uint32 *sidBytes, void *domain, _Inout_ uint32 *domainChars, _Out_ int *use)',
);

function sessionText(infoClass: number, what: string): string {
  const buffer: Out<unknown> = [null];
  if (!querySession()(WTS_CURRENT_SERVER_HANDLE, WTS_CURRENT_SESSION, infoClass, buffer, [0])) {
    throw new Win32Error(`WTSQuerySessionInformationW(${what})`, lastError()());
  }
  try {
    return loadKoffi().decode(buffer[0], 'char16_t', -1) as string;
  } finally {
    wtsFree()(buffer[0]);
  }
}

export function koffiSessionAccountApi(): SessionAccountApi {
  return {
    sessionAccount: () => ({
      user: sessionText(WTS_USER_NAME, 'WTSUserName'),
      domain: sessionText(WTS_DOMAIN_NAME, 'WTSDomainName'),
    }),
    accountSid(account) {
      const koffi = loadKoffi();
      const sid = koffi.alloc('uint8', MAX_SID_BYTES);
      // The referenced domain's name, which is not needed but must have room; asked again at the size it reports.
      let domainChars = 256;
      try {
        for (;;) {
          const domain = koffi.alloc('char16_t', domainChars);
          try {
            const sidBytes: Out<number> = [MAX_SID_BYTES];
            const chars: Out<number> = [domainChars];
            const use: Out<number> = [0];
            if (lookupAccountName()(null, account, sid, sidBytes, domain, chars, use)) {
              return { sid: sidString(sid), type: use[0] };
            }
            const code = lastError()();
            if (code === ERROR_NONE_MAPPED) return undefined;
            if (code !== ERROR_INSUFFICIENT_BUFFER || chars[0] <= domainChars) {
              throw new Win32Error(`LookupAccountNameW(${account})`, code);
            }
            domainChars = chars[0];
          } finally {
            koffi.free(domain);
          }
        }
      } finally {
        koffi.free(sid);
      }
    },
  };
}
