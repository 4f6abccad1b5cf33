import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HelperConnection } from '../../helper/src/client/helper-connection.js';
import { PROTOCOL_VERSION, RequestError, type Event } from '../../helper/src/rpc/index.js';
import { BootTunnels, MAX_BOOT_TUNNELS } from '../../helper/src/service/boot-tunnels.js';
import { startControlServer, type ControlServer } from '../../helper/src/service/control-server.js';
import { clientConfig, FakeSystem } from './support/service-fakes.js';

interface Setup {
  readonly path: string;
  readonly boot: BootTunnels;
  readonly system: FakeSystem;
  readonly server: ControlServer;
}

async function withServer(body: (setup: Setup) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-control-'));
  const path = join(dir, 'run', 'helper.sock');
  const system = new FakeSystem();
  const manager = system.manager();
  const boot = new BootTunnels(join(dir, 'state', 'boot'));
  const server = await startControlServer({
    path,
    user: String(process.getuid!()),
    manager,
    boot,
    helperVersion: '9.9.9',
    statsIntervalMs: 50,
    helloTimeoutMs: 2000,
  });
  try {
    await body({ path, boot, system, server });
  } finally {
    await server.close();
    await manager.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes raw lines and collects the parsed lines that come back until `count` have. */
function rawExchange(path: string, input: string | Buffer, count: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timed out; got ${received}`));
    }, 10_000);
    socket.on('data', (chunk) => {
      received += chunk.toString();
      const lines = received.split('\n').filter(Boolean);
      if (lines.length >= count) {
        clearTimeout(timer);
        socket.destroy();
        resolve(lines.map((line) => JSON.parse(line) as unknown));
      }
    });
    socket.on('error', reject);
    socket.write(input);
  });
}

const HELLO = `${JSON.stringify({ type: 'hello', protocolVersion: PROTOCOL_VERSION, client: 'test' })}\n`;

test('the socket is 0600, owned by the served user, in a 0755 directory', () =>
  withServer(async ({ path }) => {
    const socket = statSync(path);
    assert.ok(socket.isSocket());
    assert.equal(socket.mode & 0o777, 0o600);
    assert.equal(socket.uid, process.getuid!());
    assert.equal(statSync(join(path, '..')).mode & 0o777, 0o755);
  }));

test('a client says hello, brings a tunnel up, sees it in status, and brings it down', () =>
  withServer(async ({ path, system }) => {
    const client = await HelperConnection.connect(path, 'test');
    try {
      const { tunnel } = await client.request('tunnel.up', { name: 'wf0', configText: clientConfig() });
      assert.equal(tunnel.state, 'active');
      const status = await client.request('status', {});
      assert.equal(status.helperVersion, '9.9.9');
      assert.equal(status.tunnels[0]?.summary.name, 'wf0');
      assert.equal(status.tunnels[0]?.stats?.peers.length, 1);
      await client.request('tunnel.down', { name: 'wf0' });
      assert.deepEqual((await client.request('tunnel.list', {})).tunnels, []);
      assert.ok(system.actions.includes('network undo wf0'));
    } finally {
      client.close();
    }
  }));

test('refusals come back as RequestError with the config line errors', () =>
  withServer(async ({ path }) => {
    const client = await HelperConnection.connect(path, 'test');
    try {
      const error = await client
        .request('tunnel.up', { name: 'wf0', configText: '[Interface]\nBogus = 1\n' })
        .catch((e: unknown) => e);
      assert.ok(error instanceof RequestError);
      assert.equal(error.code, 'invalid-config');
      assert.deepEqual(
        error.configErrors?.map((e) => [e.line, e.code]),
        [[2, 'unknown-key']],
      );
      const missing = await client.request('tunnel.down', { name: 'nope' }).catch((e: unknown) => e);
      assert.equal((missing as RequestError).code, 'no-such-tunnel');
    } finally {
      client.close();
    }
  }));

test('subscribers get state changes, stats about every interval, and log lines', () =>
  withServer(async ({ path }) => {
    const watcher = await HelperConnection.connect(path, 'watcher');
    const actor = await HelperConnection.connect(path, 'actor');
    try {
      const events: Event[] = [];
      watcher.onEvent((event) => events.push(event));
      assert.deepEqual((await watcher.request('subscribe', { topics: ['state', 'stats', 'logs'] })).topics, [
        'state',
        'stats',
        'logs',
      ]);
      await actor.request('tunnel.up', { name: 'wf0', configText: clientConfig() });
      const deadline = Date.now() + 5000;
      while (events.filter((e) => e.event === 'tunnel.stats').length < 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const states = events.flatMap((e) => (e.event === 'tunnel.state' ? [e.tunnel.state] : []));
      assert.deepEqual(states, ['activating', 'active']);
      assert.ok(events.filter((e) => e.event === 'tunnel.stats').length >= 2, 'stats arrive repeatedly');
      assert.ok(events.some((e) => e.event === 'log' && /up in \d+ ms/.test(e.line.message)));
    } finally {
      watcher.close();
      actor.close();
    }
  }));

test('garbage, unknown methods, requests before hello and oversized lines get errors, and the connection keeps working', () =>
  withServer(async ({ path }) => {
    const replies = await rawExchange(
      path,
      [
        '{"type":"request","id":1,"method":"status","params":{}}',
        HELLO.trim(),
        'garbage',
        '{"type":"request","id":2,"method":"tunnel.explode","params":{}}',
        '{"type":"request","id":3,"method":"tunnel.up","params":{"name":"../x","configText":""}}',
        'x'.repeat(3 * 1024 * 1024),
        '{"type":"request","id":4,"method":"tunnel.list","params":{}}',
        '',
      ].join('\n'),
      7,
    );
    assert.deepEqual(
      replies.map((r) => {
        const m = r as { type: string; id?: number; ok?: boolean; error?: { code: string } };
        return [m.type, m.id, m.error?.code];
      }),
      [
        ['reply', 1, 'hello-required'],
        ['hello', undefined, undefined],
        ['error', undefined, 'bad-message'],
        ['reply', 2, 'unknown-method'],
        ['reply', 3, 'bad-message'],
        ['error', undefined, 'message-too-large'],
        ['reply', 4, undefined],
      ],
    );
  }));

test('an incompatible protocol version is refused with a clear error', () =>
  withServer(async ({ path }) => {
    const [reply] = await rawExchange(
      path,
      `${JSON.stringify({ type: 'hello', protocolVersion: PROTOCOL_VERSION + 1, client: 'future' })}\n`,
      1,
    );
    assert.deepEqual((reply as { error: { code: string } }).error.code, 'incompatible-version');
    assert.match((reply as { error: { message: string } }).error.message, /the helper is older/);
  }));

test('1,000 rapid connects do not stop the helper serving', () =>
  withServer(async ({ path }) => {
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from(
          { length: 100 },
          () =>
            new Promise<void>((resolve) => {
              const socket = createConnection(path);
              socket.on('connect', () => socket.destroy());
              socket.on('close', () => resolve());
              socket.on('error', () => resolve());
            }),
        ),
      );
    }
    const client = await HelperConnection.connect(path, 'after');
    try {
      assert.deepEqual((await client.request('tunnel.list', {})).tunnels, []);
    } finally {
      client.close();
    }
  }));

test('a second helper on the same socket is refused; once the first stops, another can listen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-control-'));
  const path = join(dir, 'helper.sock');
  const system = new FakeSystem();
  const options = {
    path,
    user: String(process.getuid!()),
    manager: system.manager(),
    boot: new BootTunnels(join(dir, 'boot')),
    helperVersion: '1',
  };
  try {
    const first = await startControlServer(options);
    await assert.rejects(startControlServer(options), /already listening/);
    await first.close();
    const second = await startControlServer(options);
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('boot.set keeps a validated root-only copy, boot.list names it, boot.unset removes it', () =>
  withServer(async ({ path, boot }) => {
    const client = await HelperConnection.connect(path, 'test');
    try {
      await assert.rejects(
        client.request('boot.set', { name: 'wf0', configText: '[Interface]\nPrivateKey = nope\n' }),
        (error: RequestError) => error.code === 'invalid-config',
      );
      await assert.rejects(
        client.request('boot.set', { name: 'wf0', configText: `${clientConfig()}\n[Interface]\nPostUp = echo\n` }),
        RequestError,
      );
      assert.deepEqual((await client.request('boot.list', {})).tunnels, []);
      const configText = clientConfig();
      await client.request('boot.set', { name: 'wf0', configText, killSwitch: true });
      assert.deepEqual((await client.request('boot.list', {})).tunnels, ['wf0']);
      assert.equal(statSync(boot.dir).mode & 0o777, 0o700);
      assert.equal(statSync(join(boot.dir, 'wf0.json')).mode & 0o777, 0o600);
      assert.deepEqual(await boot.load(), [{ name: 'wf0', configText, killSwitch: true }]);
      await client.request('boot.unset', { name: 'wf0' });
      await client.request('boot.unset', { name: 'wf0' });
      assert.deepEqual((await client.request('boot.list', {})).tunnels, []);
      for (let i = 0; i < MAX_BOOT_TUNNELS; i++) await client.request('boot.set', { name: `wf${i}`, configText });
      await assert.rejects(
        client.request('boot.set', { name: 'wfmore', configText }),
        (error: RequestError) => error.code === 'limit-reached',
      );
      await client.request('boot.set', { name: 'wf0', configText, killSwitch: false });
      await assert.rejects(
        client.request('boot.unset', { name: '../etc' } as never),
        (error: RequestError) => error.code === 'bad-message',
      );
    } finally {
      client.close();
    }
  }));
