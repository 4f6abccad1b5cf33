import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EADDRINUSE } from '../../helper/src/uapi/errno.js';
import { MemoryUapiDevice } from './support/memory-uapi-device.js';
import { UapiError, type UapiDevice } from '../../helper/src/uapi/model.js';
import {
  removeStaleUapiSocket,
  startUapiServer,
  type UapiServer,
  type UapiServerOptions,
} from '../../helper/src/uapi/server.js';

const PEER = 'ab'.repeat(32);

/** Sends the text, stops writing, and returns all the server says until it hangs up. */
function converse(path: string, text: string | Uint8Array): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.end(text);
  });
}

async function withServer(
  run: (server: UapiServer, directory: string) => Promise<void>,
  options: Partial<UapiServerOptions> = {},
): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), 'wirefly-uapi-'));
  const socketDirectory = join(directory, 'run');
  const logged: string[] = [];
  const server = await startUapiServer({
    interfaceName: 'wftest0',
    device: new MemoryUapiDevice(),
    socketDirectory,
    log: (level, message) => logged.push(`${level} ${message}`),
    ...options,
  });
  try {
    await run(server, socketDirectory);
  } finally {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  }
}

test('the socket is IFNAME.sock in a 0755 directory, and only its owner may open it', async () => {
  await withServer(async (server, directory) => {
    assert.equal(server.path, join(directory, 'wftest0.sock'));
    assert.equal((await stat(directory)).mode & 0o777, 0o755);
    const socket = await stat(server.path);
    assert.ok(socket.isSocket());
    assert.equal(socket.mode & 0o077, 0);
  });
});

test('several operations on one connection, answered in order', async () => {
  await withServer(async (server) => {
    const answer = await converse(
      server.path,
      `get=1\n\nset=1\nlisten_port=51820\npublic_key=${PEER}\nallowed_ip=10.0.0.0/8\n\nget=1\n\n`,
    );
    assert.equal(
      answer,
      'errno=0\n\n' +
        'errno=0\n\n' +
        `listen_port=51820\npublic_key=${PEER}\npreshared_key=${'00'.repeat(32)}\nprotocol_version=1\n` +
        'last_handshake_time_sec=0\nlast_handshake_time_nsec=0\ntx_bytes=0\nrx_bytes=0\n' +
        'persistent_keepalive_interval=0\nallowed_ip=10.0.0.0/8\nerrno=0\n\n',
    );
  });
});

test('a refused line is answered with its negated errno; lines before it stay applied, lines after it do not; the connection goes on', async () => {
  const device = new MemoryUapiDevice();
  await withServer(
    async (server) => {
      // As wireguard-go, which applies each line as it reads it.
      const answer = await converse(
        server.path,
        'set=1\nlisten_port=7\nlisten_port=99999\nfwmark=5\n\nset=1\nfwmark\n\nget=1\n\n',
      );
      assert.equal(answer, 'errno=-22\n\nerrno=-71\n\nlisten_port=7\nerrno=0\n\n');
      assert.equal(device.get().listenPort, 7);
      assert.equal(device.get().fwmark, 0);
    },
    { device },
  );
});

test('get=1 with something else than a blank line after it is answered EINVAL', async () => {
  await withServer(async (server) => {
    assert.equal(await converse(server.path, 'get=1\nx\nget=1\n\n'), 'errno=-22\n\nerrno=0\n\n');
  });
});

test('an unknown operation gets no answer, only a closed connection', async () => {
  await withServer(async (server) => {
    assert.equal(await converse(server.path, 'get=1\n\nhello\nget=1\n\n'), 'errno=0\n\n');
    assert.equal(await converse(server.path, 'get=1\n\n'), 'errno=0\n\n');
  });
});

test('a line that never ends is cut off, and others are served meanwhile', async () => {
  await withServer(async (server) => {
    const limit = 100 * 1024 * 1024;
    const flood = new Promise<{ sent: number; answer: string }>((resolve) => {
      const socket = createConnection(server.path);
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let sent = 0;
      let answer = '';
      const pump = () => {
        while (!socket.destroyed && sent < limit && socket.write(chunk)) sent += chunk.length;
      };
      socket.on('connect', () => socket.write('set=1\nallowed_ip=', pump));
      socket.on('drain', pump);
      socket.on('data', (data) => (answer += data.toString()));
      socket.on('error', () => {});
      socket.on('close', () => resolve({ sent, answer }));
    });
    assert.equal(await converse(server.path, 'get=1\n\n'), 'errno=0\n\n');
    const { sent, answer } = await flood;
    // Inside a set request, wireguard-go's answer to an overlong line: EIO.
    assert.equal(answer, 'errno=-5\n\n');
    assert.ok(sent < limit, `the server read ${sent} bytes of one line`);
    assert.equal(await converse(server.path, 'get=1\n\n'), 'errno=0\n\n');
  });
});

test('an idle connection is closed', async () => {
  await withServer(
    async (server) => {
      const started = Date.now();
      const answer = await new Promise<string>((resolve) => {
        const socket = createConnection(server.path);
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('close', () => resolve(text));
      });
      assert.equal(answer, '');
      assert.ok(Date.now() - started >= 150);
    },
    { idleTimeoutMs: 200 },
  );
});

test('many clients at once are all served', async () => {
  await withServer(async (server) => {
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        converse(server.path, `set=1\npublic_key=${PEER}\nallowed_ip=10.${i}.0.0/16\n\n`),
      ),
    );
    assert.deepEqual(new Set(answers), new Set(['errno=0\n\n']));
    const state = await converse(server.path, 'get=1\n\n');
    assert.equal(state.match(/^allowed_ip=/gm)?.length, 100);
  });
});

test('operations run one at a time across connections', async () => {
  const memory = new MemoryUapiDevice();
  let running = 0;
  let overlapped = false;
  const device: UapiDevice = {
    get: () => {
      if (running > 0) overlapped = true;
      return memory.get();
    },
    beginSet() {
      running++;
      if (running > 1) overlapped = true;
      const session = memory.beginSet();
      return {
        // A step that waits, as binding a port does, while other connections want in.
        apply: async (step) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          await session.apply(step);
        },
        end: () => {
          session.end();
          running--;
        },
      };
    },
  };
  await withServer(
    async (server) => {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => converse(server.path, `set=1\nlisten_port=${i + 1}\n\nget=1\n\n`)),
      );
      assert.equal(overlapped, false);
    },
    { device },
  );
});

test('a device failure is answered with its errno, an unexpected one with ENOANO, and serving goes on', async () => {
  let failure: Error = new UapiError(EADDRINUSE, 'port taken');
  const device: UapiDevice = {
    get: () => new MemoryUapiDevice().get(),
    beginSet: () => ({
      apply: () => Promise.reject(failure),
      end: () => {},
    }),
  };
  await withServer(
    async (server) => {
      assert.equal(await converse(server.path, 'set=1\nlisten_port=1\n\n'), `errno=-${EADDRINUSE}\n\n`);
      failure = new TypeError('bug');
      assert.equal(await converse(server.path, 'set=1\nlisten_port=1\n\nget=1\n\n'), 'errno=-55\n\nerrno=0\n\n');
    },
    { device },
  );
});

/** A process that listens on the path and is killed before it can clean up. */
async function leaveStaleSocket(path: string): Promise<void> {
  const child = spawn(
    process.execPath,
    ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await once(child.stdout, 'data');
  child.kill('SIGKILL');
  await once(child, 'exit');
}

test('a live socket of another process is left alone; a stale one is replaced', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'wirefly-uapi-'));
  const path = join(directory, 'wftest1.sock');
  const other = createServer((socket) => socket.end());
  try {
    await new Promise<void>((resolve) => other.listen(path, resolve));
    await assert.rejects(
      startUapiServer({ interfaceName: 'wftest1', device: new MemoryUapiDevice(), socketDirectory: directory }),
      (error: NodeJS.ErrnoException) => error.code === 'EADDRINUSE' && error.message.includes(path),
    );
    assert.ok((await stat(path)).isSocket());
    // A process that dies without closing leaves its socket file behind.
    await new Promise<void>((resolve) => other.close(() => resolve()));
    await leaveStaleSocket(path);
    assert.ok((await stat(path)).isSocket());
    const server = await startUapiServer({
      interfaceName: 'wftest1',
      device: new MemoryUapiDevice(),
      socketDirectory: directory,
    });
    try {
      assert.equal(await converse(path, 'get=1\n\n'), 'errno=0\n\n');
    } finally {
      await server.close();
    }
    await assert.rejects(stat(path), { code: 'ENOENT' });
  } finally {
    other.close();
    await rm(directory, { recursive: true, force: true });
  }
});

test('after a crash, a stale socket is removed; a live one, a plain file and a missing one are left as they are', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'wirefly-uapi-'));
  const other = createServer((socket) => socket.end());
  try {
    const stale = join(directory, 'wfstale.sock');
    await leaveStaleSocket(stale);
    assert.equal(await removeStaleUapiSocket('wfstale', directory), true);
    await assert.rejects(stat(stale), { code: 'ENOENT' });
    const live = join(directory, 'wflive.sock');
    await new Promise<void>((resolve) => other.listen(live, resolve));
    assert.equal(await removeStaleUapiSocket('wflive', directory), false);
    assert.ok((await stat(live)).isSocket(), 'a socket someone answers on stays');
    await writeFile(join(directory, 'wffile.sock'), 'not a socket');
    assert.equal(await removeStaleUapiSocket('wffile', directory), false);
    assert.ok((await stat(join(directory, 'wffile.sock'))).isFile());
    assert.equal(await removeStaleUapiSocket('wfnone', directory), false);
    await assert.rejects(removeStaleUapiSocket('../etc', directory), /interface name/);
  } finally {
    other.close();
    await rm(directory, { recursive: true, force: true });
  }
});

test('interface names that are not file names are refused', async () => {
  for (const name of ['', '.', '..', 'a/b', 'sixteen-chars-xx', 'a b']) {
    await assert.rejects(
      startUapiServer({ interfaceName: name, device: new MemoryUapiDevice(), socketDirectory: tmpdir() }),
      /interface name/,
      name,
    );
  }
});
