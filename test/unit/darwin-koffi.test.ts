// The koffi binding of libSystem (os/darwin/koffi-syscalls.ts) loaded against
// glibc, whose prototypes for these calls are the same: it proves the glue
// (each declaration, the variadic ioctl and fcntl, minus errno on failure,
// native memory and its address, readiness from the event loop), not macOS.
// The structs here are Linux's, written for this test; the values are Linux's
// (<sys/socket.h>, <fcntl.h>, <asm-generic/ioctls.h>, <errno.h>).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { koffiSyscalls } from '../../helper/src/os/darwin/koffi-syscalls.js';

const LINUX = {
  AF_INET: 2,
  SOCK_DGRAM: 2,
  F_GETFL: 3,
  F_SETFL: 4,
  O_NONBLOCK: 0o4000,
  FIONREAD: 0x541b,
  EAGAIN: 11,
  EADDRINUSE: 98,
};

test('the libSystem binding, loaded against glibc: sockets, variadic fcntl and ioctl, errno, memory, readiness', async (t) => {
  assert.equal(process.platform, 'linux', 'this test runs the binding against glibc');
  const sys = koffiSyscalls('libc.so.6');
  const memory = sys.alloc(256);
  t.after(() => sys.free(memory));
  assert.equal(memory.bytes.length, 256);
  assert.ok(memory.bytes.every((byte) => byte === 0));
  const view = new DataView(memory.bytes.buffer, memory.bytes.byteOffset, 256);
  const fd = sys.socket(LINUX.AF_INET, LINUX.SOCK_DGRAM, 0);
  assert.ok(fd >= 0);
  t.after(() => sys.close(fd));
  // struct sockaddr_in on Linux: a 16-bit family, the port, the address; 127.0.0.1, any port.
  view.setUint16(0, LINUX.AF_INET, true);
  memory.bytes.set([127, 0, 0, 1], 4);
  assert.equal(sys.bind(fd, memory.address, 16), 0);
  view.setUint32(64, 16, true);
  assert.equal(sys.getsockname(fd, memory.address, memory.address + 64n), 0);
  const port = view.getUint16(2, false);
  assert.ok(port > 0);
  // A second socket on the same port: -EADDRINUSE, not -1.
  const other = sys.socket(LINUX.AF_INET, LINUX.SOCK_DGRAM, 0);
  t.after(() => sys.close(other));
  assert.equal(sys.bind(other, memory.address, 16), -LINUX.EADDRINUSE);
  const flags = sys.fcntl(fd, LINUX.F_GETFL, 0);
  assert.equal(sys.fcntl(fd, LINUX.F_SETFL, flags | LINUX.O_NONBLOCK), 0);
  assert.equal(sys.fcntl(fd, LINUX.F_GETFL, 0) & LINUX.O_NONBLOCK, LINUX.O_NONBLOCK);
  assert.equal(sys.read(fd, memory.address + 128n, 64), -LINUX.EAGAIN, 'non-blocking and empty');

  const sender = createSocket('udp4');
  t.after(() => sender.close());
  const ready = new Promise<void>((resolve) => {
    const stop = sys.watchReadable(fd, () => {
      stop();
      resolve();
    });
  });
  sender.send(Buffer.from('through libc'), port, '127.0.0.1');
  await ready;
  // ioctl's third argument goes through the variadic part: FIONREAD writes the size of the next datagram.
  assert.equal(sys.ioctl(fd, LINUX.FIONREAD, memory.address + 192n), 0);
  assert.equal(view.getInt32(192, true), 12);
  const n = sys.read(fd, memory.address + 128n, 64);
  assert.equal(Buffer.from(memory.bytes.subarray(128, 128 + n)).toString(), 'through libc');
  // write() on a socket with no peer: -EDESTADDRREQ (89) is minus errno too.
  assert.equal(sys.write(fd, memory.address, 4), -89);
});
