// libSystem's calls through koffi, which ships prebuilt for macOS on x86-64 and
// arm64, so that no macOS C is compiled anywhere it could not be checked. Each
// function is declared with its C prototype, memory passed as uintptr_t
// addresses (the structs are laid out by the TypeScript that calls them).
// ioctl and fcntl are variadic in C and declared so: on arm64 a variadic
// argument goes on the stack, not in a register. koffi is required only when
// this is called, so that no other platform loads it.
import { createRequire } from 'node:module';
import type { DarwinSyscalls, NativeMemory } from './binding.js';

type Koffi = typeof import('koffi');

export const LIBSYSTEM = '/usr/lib/libSystem.B.dylib';

/** `library`: libSystem on macOS; a test may name another C library with the same prototypes (glibc). */
export function koffiSyscalls(library = LIBSYSTEM): DarwinSyscalls {
  const koffi = createRequire(import.meta.url)('koffi') as Koffi;
  const lib = koffi.load(library);
  const fn = (prototype: string) => lib.func(prototype);
  const c = {
    socket: fn('int socket(int domain, int type, int protocol)'),
    ioctl: fn('int ioctl(int fd, unsigned long request, ...)'),
    connect: fn('int connect(int fd, uintptr_t address, uint32_t length)'),
    bind: fn('int bind(int fd, uintptr_t address, uint32_t length)'),
    getsockname: fn('int getsockname(int fd, uintptr_t address, uintptr_t length)'),
    getsockopt: fn('int getsockopt(int fd, int level, int name, uintptr_t value, uintptr_t length)'),
    setsockopt: fn('int setsockopt(int fd, int level, int name, uintptr_t value, uint32_t length)'),
    fcntl: fn('int fcntl(int fd, int command, ...)'),
    read: fn('intptr_t read(int fd, uintptr_t buffer, size_t length)'),
    write: fn('intptr_t write(int fd, uintptr_t buffer, size_t length)'),
    recvmsg: fn('intptr_t recvmsg(int fd, uintptr_t message, int flags)'),
    sendmsg: fn('intptr_t sendmsg(int fd, uintptr_t message, int flags)'),
    close: fn('int close(int fd)'),
  };
  const result = (value: unknown): number => {
    const n = Number(value);
    return n === -1 ? -koffi.errno() : n;
  };
  const allocations = new Map<NativeMemory, unknown>();
  return {
    alloc(size) {
      const pointer = koffi.alloc('uint8_t', size);
      const memory = { address: koffi.address(pointer), bytes: new Uint8Array(koffi.view(pointer, size)) };
      memory.bytes.fill(0);
      allocations.set(memory, pointer);
      return memory;
    },
    free(memory) {
      const pointer = allocations.get(memory);
      if (pointer === undefined) return;
      allocations.delete(memory);
      koffi.free(pointer);
    },
    socket: (domain, type, protocol) => result(c.socket(domain, type, protocol)),
    ioctl: (fd, request, argument) => result(c.ioctl(fd, request, 'uintptr_t', argument)),
    connect: (fd, address, length) => result(c.connect(fd, address, length)),
    bind: (fd, address, length) => result(c.bind(fd, address, length)),
    getsockname: (fd, address, lengthCell) => result(c.getsockname(fd, address, lengthCell)),
    getsockopt: (fd, level, name, value, lengthCell) => result(c.getsockopt(fd, level, name, value, lengthCell)),
    setsockopt: (fd, level, name, value, length) => result(c.setsockopt(fd, level, name, value, length)),
    fcntl: (fd, command, argument) => result(c.fcntl(fd, command, 'int', argument)),
    read: (fd, buffer, length) => result(c.read(fd, buffer, length)),
    write: (fd, buffer, length) => result(c.write(fd, buffer, length)),
    recvmsg: (fd, message, flags) => result(c.recvmsg(fd, message, flags)),
    sendmsg: (fd, message, flags) => result(c.sendmsg(fd, message, flags)),
    close: (fd) => result(c.close(fd)),
    watchReadable(fd, ready) {
      const handle = koffi.node.poll(fd, { readable: true }, () => ready());
      return () => handle.close();
    },
  };
}
