// koffi, loaded on first use (its Windows binary exists only in a Windows
// install), and the system DLLs the Windows platform calls into. Each module
// declares the functions it needs from these, once.
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

export type { LibraryHandle, TypeObject } from 'koffi';

let koffi: typeof Koffi | undefined;
const libraries = new Map<string, Koffi.LibraryHandle>();

export function loadKoffi(): typeof Koffi {
  koffi ??= createRequire(import.meta.url)('koffi') as typeof Koffi;
  return koffi;
}

/** A system DLL (kernel32.dll, advapi32.dll, iphlpapi.dll, fwpuclnt.dll), or the host executable for null. */
export function library(name: string | null): Koffi.LibraryHandle {
  const key = name ?? process.execPath;
  let handle = libraries.get(key);
  if (!handle) {
    handle = loadKoffi().load(key);
    libraries.set(key, handle);
  }
  return handle;
}

/** Declares a function once per process: koffi's declarations are not free. */
export function declare<T extends (...args: never[]) => unknown>(dll: string | null, prototype: string): () => T {
  let declared: T | undefined;
  return () => {
    declared ??= library(dll).func(prototype) as unknown as T;
    return declared;
  };
}

/** An out-parameter as koffi fills it: a one-element array. */
export type Out<T> = [T];

/** The calling thread's last Windows error, read right after the call that failed. */
export const lastError = declare<() => number>('kernel32.dll', 'uint32 __stdcall GetLastError()');

export class Win32Error extends Error {
  constructor(
    readonly call: string,
    readonly code: number,
  ) {
    super(`${call} failed with Windows error ${code}`);
    this.name = 'Win32Error';
  }
}
