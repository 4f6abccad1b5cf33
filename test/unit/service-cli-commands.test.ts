import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectToHelper } from '../../helper/src/cli/helper-client.js';
import type { CliIo } from '../../helper/src/cli/io.js';
import { processIo } from '../../helper/src/cli/io.js';
import { down, formatStatus, status, up } from '../../helper/src/cli/tunnel-commands.js';
import { BootTunnels } from '../../helper/src/service/boot-tunnels.js';
import { startControlServer } from '../../helper/src/service/control-server.js';
import { clientConfig, FakeSystem } from './support/service-fakes.js';

function capture(): CliIo & { out: string; err: string } {
  const io = { ...processIo, out: '', err: '' };
  io.stdout = (text: string) => void (io.out += text);
  io.stderr = (text: string) => void (io.err += text);
  return io;
}

async function withHelper(body: (dir: string, env: Parameters<typeof up>[2]) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-cli-'));
  const system = new FakeSystem();
  const manager = system.manager();
  const path = join(dir, 'helper.sock');
  const server = await startControlServer({
    path,
    user: String(process.getuid!()),
    manager,
    boot: new BootTunnels(join(dir, 'boot')),
    helperVersion: '1.2.3',
  });
  try {
    await body(dir, {
      env: { WIREFLY_HELPER_SOCKET: path },
      defaultSocket: join(dir, 'not-this.sock'),
      connect: (p) => connectToHelper(p, 'test'),
      now: () => 1_700_000_010_000,
    });
  } finally {
    await server.close();
    await manager.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('up names the tunnel after the file, status shows it, down removes it', () =>
  withHelper(async (dir, env) => {
    const file = join(dir, 'office.conf');
    writeFileSync(file, clientConfig({ allowedIps: '0.0.0.0/0' }));
    const io = capture();
    assert.equal(await up([file], io, env), 0, io.err);
    assert.match(io.out, /^office: up in \d+ ms, kill switch on\n$/);

    const json = capture();
    assert.equal(await status(['--json'], json, env), 0, json.err);
    assert.equal(JSON.parse(json.out).tunnels[0].summary.name, 'office');

    const text = capture();
    assert.equal(await status([], text, env), 0);
    assert.match(text.out, /tunnel: office \(active, kill switch on\)/);
    assert.match(text.out, /latest handshake: 9 seconds ago/);

    const gone = capture();
    assert.equal(await down(['office'], gone, env), 0, gone.err);
    const again = capture();
    assert.equal(await down(['office'], again, env), 1);
    assert.match(again.err, /there is no tunnel office/);
  }));

test('a bad line is reported as FILE:LINE:COLUMN with its code', () =>
  withHelper(async (dir, env) => {
    const file = join(dir, 'bad.conf');
    writeFileSync(file, clientConfig({ allowedIps: '10.0.0.300/32' }));
    const io = capture();
    assert.equal(await up([file], io, env), 1);
    assert.match(io.err, new RegExp(`${file}:8:14: error: .*\\[bad-network\\]`));
  }));

test('usage errors, bad file names and a missing helper are reported without a stack', async () => {
  const io = capture();
  const env = {
    env: {},
    defaultSocket: '/nonexistent/helper.sock',
    connect: (p: string) => connectToHelper(p, 'test'),
    now: Date.now,
  };
  assert.equal(await up([], io, env), 1);
  assert.match(io.err, /Usage: wirefly up/);
  const badName = capture();
  assert.equal(await up(['/tmp/not a name.conf'], badName, env), 1);
  assert.match(badName.err, /valid interface name/);
  const missing = capture();
  assert.equal(await status(['--socket', '/nonexistent/helper.sock'], missing, env), 1);
  assert.match(missing.err, /helper is not running/);
});

test('status text reads like wg show', () => {
  const text = formatStatus(
    {
      helperVersion: '1',
      protocolVersion: 1,
      tunnels: [
        {
          summary: { name: 'wg0', state: 'active', killSwitch: false },
          stats: {
            tunnel: 'wg0',
            at: 0,
            listenPort: 51820,
            peers: [
              {
                publicKey: 'KEY',
                endpoint: '192.0.2.1:51820',
                allowedIps: ['10.0.0.0/24'],
                latestHandshake: 0,
                rxBytes: 2048,
                txBytes: 100,
              },
            ],
          },
        },
      ],
    },
    125_000,
  );
  assert.match(text, /listening port: 51820/);
  assert.match(
    text,
    /peer: KEY\n {4}endpoint: 192\.0\.2\.1:51820\n {4}allowed ips: 10\.0\.0\.0\/24\n {4}latest handshake: 2 minutes, 5 seconds ago\n {4}transfer: 2\.00 KiB received, 100 B sent/,
  );
});
