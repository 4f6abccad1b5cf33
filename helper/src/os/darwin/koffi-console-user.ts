// SCDynamicStoreCopyConsoleUser through koffi: the System Configuration
// framework's record of who is at the screen, which loginwindow keeps and no
// user can write. It cannot run off a Mac; console-user.ts above it is tested
// with a fake. koffi is required only when this is first called.
import { createRequire } from 'node:module';
import type { ConsoleUser } from './binding.js';

type Koffi = typeof import('koffi');

const SYSTEM_CONFIGURATION = '/System/Library/Frameworks/SystemConfiguration.framework/SystemConfiguration';
const CORE_FOUNDATION = '/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation';
const UTF8 = 0x08000100; // kCFStringEncodingUTF8
/** macOS short user names are at most 255 bytes; one more for the NUL. */
const NAME_BYTES = 256;

export function koffiConsoleUser(): () => ConsoleUser | undefined {
  const koffi = createRequire(import.meta.url)('koffi') as Koffi;
  const sc = koffi.load(SYSTEM_CONFIGURATION);
  const cf = koffi.load(CORE_FOUNDATION);
  // A NULL store asks the configuration daemon directly, without a session of our own.
  const copyConsoleUser = sc.func(
    'uintptr_t SCDynamicStoreCopyConsoleUser(uintptr_t store, _Out_ uint32_t *uid, uint32_t *gid)',
  );
  const getCString = cf.func(
    'uint8_t CFStringGetCString(uintptr_t string, uint8_t *buffer, intptr_t size, uint32_t encoding)',
  );
  const release = cf.func('void CFRelease(uintptr_t object)');
  return () => {
    const uid = [0];
    const name = copyConsoleUser(0n, uid, null) as bigint | number;
    if (BigInt(name) === 0n) return undefined;
    try {
      const buffer = Buffer.alloc(NAME_BYTES);
      if (!getCString(name, buffer, NAME_BYTES, UTF8)) return undefined;
      return { name: buffer.toString('utf8', 0, buffer.indexOf(0)), uid: uid[0]! };
    } finally {
      release(name);
    }
  };
}
