// SMAppService (macOS 13+), through which a signed build registers the daemon
// its bundle carries: the app programs against ServiceManagement, and tests
// hand in a fake. The real one sends Objective-C messages with koffi over
// libobjc. objc_msgSend has no prototype of its own (on arm64 a variadic
// declaration would put arguments on the stack, where the method does not
// look), so it is declared once per call shape, with the method's real
// arguments. It cannot run off a Mac: it stays this small, and is loaded only
// on macOS, only when a signed build asks.
import { createRequire } from 'node:module';

type Koffi = typeof import('koffi');

/** SMAppServiceStatus, an NSInteger (ServiceManagement/SMAppService.h). */
export const SMAppServiceStatus = { NotRegistered: 0, Enabled: 1, RequiresApproval: 2, NotFound: 3 } as const;

export interface SMDaemonService {
  status(): number;
  /** Throws NSError's localizedDescription. */
  register(): void;
  /** Throws NSError's localizedDescription. */
  unregister(): void;
}

export interface ServiceManagement {
  /** `+[SMAppService daemonServiceWithPlistName:]`: the plist in the bundle's Contents/Library/LaunchDaemons. */
  daemon(plistName: string): SMDaemonService;
  /** `+[SMAppService openSystemSettingsLoginItems]`, where a daemon that requires approval is allowed. */
  openSystemSettingsLoginItems(): void;
}

const SERVICE_MANAGEMENT = '/System/Library/Frameworks/ServiceManagement.framework/ServiceManagement';
const FOUNDATION = '/System/Library/Frameworks/Foundation.framework/Foundation';
const LIBOBJC = '/usr/lib/libobjc.A.dylib';

/** Undefined before macOS 13, which has no SMAppService class. */
export function objcServiceManagement(): ServiceManagement | undefined {
  const koffi = createRequire(import.meta.url)('koffi') as Koffi;
  // Loading the frameworks registers their classes (SMAppService, NSString) with the runtime.
  koffi.load(SERVICE_MANAGEMENT);
  koffi.load(FOUNDATION);
  const objc = koffi.load(LIBOBJC);
  const getClass = objc.func('uintptr_t objc_getClass(const char *name)');
  const selector = objc.func('uintptr_t sel_registerName(const char *name)');
  const send = (result: string, args: readonly string[]) =>
    objc.func('objc_msgSend', result, ['uintptr_t', 'uintptr_t', ...args]);
  const sendForObject = send('uintptr_t', []);
  const sendWithCString = send('uintptr_t', ['const char *']);
  const sendWithObject = send('uintptr_t', ['uintptr_t']);
  const sendForInteger = send('intptr_t', []);
  const sendForString = send('const char *', []);
  const sendWithError = send('bool', ['_Out_ uintptr_t *']);
  const sendForNothing = send('void', []);
  const smAppService = getClass('SMAppService');
  if (!smAppService) return undefined;
  // Objects these calls return are autoreleased, and no pool drains here: a few leak per registration, once.
  const nsString = (text: string) => sendWithCString(getClass('NSString'), selector('stringWithUTF8String:'), text);
  const orThrow = (service: unknown, method: string) => {
    const error = [0];
    if (sendWithError(service, selector(method), error)) return;
    const description = error[0]
      ? (sendForString(sendForObject(error[0], selector('localizedDescription')), selector('UTF8String')) as string)
      : undefined;
    throw new Error(description ?? `${method} failed`);
  };
  return {
    daemon(plistName) {
      const service = sendWithObject(smAppService, selector('daemonServiceWithPlistName:'), nsString(plistName));
      return {
        status: () => Number(sendForInteger(service, selector('status'))),
        register: () => orThrow(service, 'registerAndReturnError:'),
        unregister: () => orThrow(service, 'unregisterAndReturnError:'),
      };
    },
    openSystemSettingsLoginItems: () => sendForNothing(smAppService, selector('openSystemSettingsLoginItems')),
  };
}
