import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrivateKey, keyFromBase64, keyToBase64, publicKeyFromPrivate } from '../../helper/src/config/index.js';
import { encodeMessage, MessageReader, PROTOCOL_VERSION, RequestError } from '../../helper/src/rpc/index.js';
import type { Event, TunnelSummary } from '../../helper/src/rpc/index.js';
import type { HelperState, TunnelStats } from '../../app/src/api/wirefly-api.js';
import { backoffDelay } from '../../app/src/helper-client/backoff.js';
import { elevatedHelperCommand, startHelperElevated } from '../../app/src/helper-client/start-helper.js';
import type { SudoExec } from '../../app/src/helper-client/start-helper.js';
import { createMainServices } from '../../app/src/services/main-services.js';
import type { MainServices } from '../../app/src/services/main-services.js';
import { plainText } from '../../app/src/store/encryption.js';
import { HelperServiceStandIn } from './support/helper-service-stand-in.js';

type Handler = (method: string, params: Record<string, unknown>) => unknown;

/** A stand-in helper on a Unix socket: says hello (or refuses the version), answers requests with `handler`, pushes events. */
class FakeHelper {
  readonly requests: { method: string; params: Record<string, unknown> }[] = [];
  /** Events written right behind the reply to a method, in the same write. */
  readonly behindReply = new Map<string, Event>();
  private readonly clients = new Set<Socket>();
  private server: Server | undefined;

  constructor(
    private readonly path: string,
    private handler: Handler,
    private readonly protocolVersion = PROTOCOL_VERSION,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve) => this.server!.listen(this.path, resolve));
  }

  async stop(): Promise<void> {
    for (const client of this.clients) client.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  push(event: Event): void {
    for (const client of this.clients) client.write(encodeMessage(event));
  }

  private serve(socket: Socket): void {
    const reader = new MessageReader();
    this.clients.add(socket);
    socket.on('close', () => this.clients.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      for (const frame of reader.push(chunk)) {
        if (frame.kind !== 'message') continue;
        const message = frame.value as {
          type: string;
          id: number;
          method: string;
          params: Record<string, unknown>;
          protocolVersion: number;
        };
        if (message.type === 'hello') {
          if (message.protocolVersion !== this.protocolVersion) {
            socket.end(
              encodeMessage({ type: 'error', error: { code: 'incompatible-version', message: 'versions differ' } }),
            );
          } else {
            socket.write(
              encodeMessage({ type: 'hello', protocolVersion: this.protocolVersion, helperVersion: '9.9.9' }),
            );
          }
          continue;
        }
        this.requests.push({ method: message.method, params: message.params });
        try {
          const reply = encodeMessage({
            type: 'reply',
            id: message.id,
            ok: true,
            result: this.handler(message.method, message.params),
          });
          const behind = this.behindReply.get(message.method);
          socket.write(behind ? reply + encodeMessage(behind) : reply);
        } catch (error) {
          const { code, message: text } = error as RequestError;
          socket.write(encodeMessage({ type: 'reply', id: message.id, ok: false, error: { code, message: text } }));
        }
      }
    });
  }
}

/** Answers like a helper that runs the tunnels it was asked to bring up. */
function tunnelsHelper(running: TunnelSummary[] = [], boot = new Map<string, unknown>()): Handler {
  return (method, params) => {
    switch (method) {
      case 'boot.list':
        return { tunnels: [...boot.keys()].sort() };
      case 'boot.set':
        boot.set(params['name'] as string, params);
        return {};
      case 'boot.unset':
        boot.delete(params['name'] as string);
        return {};
      case 'subscribe':
        return { topics: params['topics'] };
      case 'tunnel.list':
        return { tunnels: running };
      case 'tunnel.up':
        return { tunnel: { name: params['name'], state: 'active', killSwitch: params['killSwitch'] } };
      case 'tunnel.down':
        return {};
      default:
        throw new RequestError('unknown-method', method);
    }
  };
}

interface Setup {
  readonly dir: string;
  readonly socketPath: string;
  readonly services: MainServices;
  readonly states: HelperState[];
}

async function setup(
  t: { after(fn: () => Promise<void> | void): void },
  launchHelper: () => Promise<void> = () => Promise.reject(new Error('no')),
): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-app-helper-'));
  const socketPath = join(dir, 'helper.sock');
  const services = await createMainServices({
    dataDir: dir,
    encryption: plainText,
    helperSocket: socketPath,
    appVersion: '0.1.0',
    launchHelper,
    helperService: new HelperServiceStandIn(),
    helperBackoff: { initialMs: 10, maxMs: 50 },
    helperStartTimeoutMs: 5_000,
  });
  const states: HelperState[] = [];
  services.api.onHelperState((state) => states.push(state));
  t.after(() => {
    services.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, socketPath, services, states };
}

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const config = (): string => `[Interface]\nPrivateKey = ${keyToBase64(generatePrivateKey())}\nAddress = 10.9.0.2/32\n`;

test('not running until the helper appears; then running, with its tunnels; not running when it goes, and back', async (t) => {
  const { socketPath, services, states } = await setup(t);
  await until('the first attempt failed', () => services.helper.state.status === 'not-running');
  const helper = new FakeHelper(socketPath, tunnelsHelper([{ name: 'wg0', state: 'active', killSwitch: true }]));
  await helper.start();
  t.after(() => helper.stop());
  await until('the client connected', () => services.helper.state.status === 'running');
  assert.deepEqual(services.helper.state, { status: 'running', version: '9.9.9' });
  assert.deepEqual(
    helper.requests.map((request) => request.method),
    ['subscribe', 'boot.list', 'tunnel.list'],
  );
  assert.deepEqual(helper.requests[0]?.params, { topics: ['state', 'stats', 'logs'] });
  assert.deepEqual(await services.api.listTunnels(), [
    // Running, but no config of the app's is it.
    { name: 'wg0', state: 'active', killSwitch: true, connectAtBoot: false, owned: false },
  ]);

  await helper.stop();
  await until('the loss was noticed', () => services.helper.state.status === 'not-running');
  assert.deepEqual(await services.api.listTunnels(), [], 'a tunnel only the helper knew is gone with it');
  await helper.start();
  await until('the client reconnected', () => services.helper.state.status === 'running');
  assert.deepEqual(
    states.map((state) => state.status),
    ['running', 'not-running', 'running'],
  );
});

test('a boot tunnel that comes up right after the helper listed it as activating is seen active', async (t) => {
  const { socketPath, services } = await setup(t);
  await until('the first attempt failed', () => services.helper.state.status === 'not-running');
  const helper = new FakeHelper(socketPath, tunnelsHelper([{ name: 'wg0', state: 'activating', killSwitch: false }]));
  // The helper's state event for it, in the same chunk as the list that still says activating.
  helper.behindReply.set('tunnel.list', {
    type: 'event',
    event: 'tunnel.state',
    tunnel: { name: 'wg0', state: 'active', killSwitch: false },
  });
  await helper.start();
  t.after(() => helper.stop());
  await until('the client connected', () => services.helper.state.status === 'running');
  assert.deepEqual(services.helper.tunnels, [{ name: 'wg0', state: 'active', killSwitch: false }]);
});

test('a helper that speaks another protocol version is incompatible, and activation says to update', async (t) => {
  let launches = 0;
  const { socketPath, services } = await setup(t, async () => void (launches += 1));
  const helper = new FakeHelper(socketPath, tunnelsHelper(), PROTOCOL_VERSION + 1);
  await helper.start();
  t.after(() => helper.stop());
  await until('refused', () => services.helper.state.status === 'incompatible');
  assert.deepEqual(services.helper.state, { status: 'incompatible', helperVersion: 'unknown', appVersion: '0.1.0' });
  assert.deepEqual(helper.requests, []);
  await services.api.createTunnel('wg0', config());
  await assert.rejects(services.api.activate('wg0'), /another protocol version/);
  assert.equal(launches, 0, 'no second helper is launched next to an incompatible one');
});

test('activate sends the stored config with the kill switch; events become tunnel states, stats and log lines', async (t) => {
  const { socketPath, services } = await setup(t);
  const helper = new FakeHelper(socketPath, tunnelsHelper());
  await helper.start();
  t.after(() => helper.stop());
  await until('running', () => services.helper.state.status === 'running');
  const text = config();
  await services.api.createTunnel('wg0', text);
  await services.api.setKillSwitch('wg0', true);
  await services.api.activate('wg0');
  assert.deepEqual(helper.requests.at(-1), {
    method: 'tunnel.up',
    params: { name: 'wg0', configText: text, killSwitch: true, replaceConflicting: true },
  });
  const publicKey = keyToBase64(publicKeyFromPrivate(keyFromBase64(/PrivateKey = (\S+)/.exec(text)![1]!)!));

  const stats: TunnelStats[] = [];
  services.api.onStats((value) => stats.push(value));
  const peer = {
    publicKey: keyToBase64(generatePrivateKey()),
    latestHandshake: 1_700_000_000_000,
    rxBytes: 10,
    txBytes: 20,
    allowedIps: ['10.9.0.0/24'],
  };
  helper.push({
    type: 'event',
    event: 'tunnel.state',
    tunnel: { name: 'wg0', state: 'active', killSwitch: true, publicKey, startedBy: 'test' },
  });
  helper.push({
    type: 'event',
    event: 'tunnel.stats',
    stats: { tunnel: 'wg0', at: 5, listenPort: 51820, peers: [peer] },
  });
  helper.push({
    type: 'event',
    event: 'log',
    line: { at: 6, level: 'info', source: 'engine', tunnel: 'wg0', message: 'handshake done' },
  });
  await until('the stats arrived', () => stats.length === 1);
  assert.deepEqual(stats, [{ tunnel: 'wg0', at: 5, peers: [peer] }]);
  assert.deepEqual((await services.api.listTunnels())[0], {
    name: 'wg0',
    state: 'active',
    killSwitch: true,
    connectAtBoot: false,
    owned: true,
    startedBy: 'test',
  });
  // The same name from another private key is another tunnel: not shown as this one.
  helper.push({
    type: 'event',
    event: 'tunnel.state',
    tunnel: { name: 'wg0', state: 'active', killSwitch: false, publicKey: keyToBase64(new Uint8Array(32)) },
  });
  await until('the other wg0 is seen', () => services.helper.tunnels[0]?.killSwitch === false);
  assert.deepEqual((await services.api.listTunnels())[0]?.nameTakenBy, { state: 'active' });
  await assert.rejects(
    services.api.activate('wg0'),
    /another tunnel named 'wg0' is active, from a different configuration/,
  );
  helper.push({
    type: 'event',
    event: 'tunnel.state',
    tunnel: { name: 'wg0', state: 'active', killSwitch: true, publicKey, startedBy: 'test' },
  });
  assert.ok(
    (await services.api.getLogs()).some(
      (line) => line.source === 'helper' && line.message === 'handshake done' && line.tunnel === 'wg0',
    ),
  );

  await assert.rejects(services.api.deleteTunnel('wg0'), /deactivate it/);
  await assert.rejects(services.api.renameTunnel('wg0', 'x'), /deactivate it/);
  await services.api.deactivate('wg0');
  assert.deepEqual(helper.requests.at(-1), { method: 'tunnel.down', params: { name: 'wg0' } });

  // Once the helper reports it down, a deleted tunnel is gone from the list.
  helper.push({ type: 'event', event: 'tunnel.state', tunnel: { name: 'wg0', state: 'inactive', killSwitch: true } });
  await until('the helper no longer runs it', () => services.helper.tunnels.length === 0);
  await services.api.deleteTunnel('wg0');
  assert.deepEqual(await services.api.listTunnels(), []);
});

test('helper errors keep their code', async (t) => {
  const { socketPath, services } = await setup(t);
  const helper = new FakeHelper(socketPath, (method, params) => {
    if (method === 'tunnel.up') throw new RequestError('scripts-not-allowed', 'PostUp is not allowed');
    return tunnelsHelper()(method, params);
  });
  await helper.start();
  t.after(() => helper.stop());
  await until('running', () => services.helper.state.status === 'running');
  await services.api.createTunnel('wg0', config());
  await assert.rejects(services.api.activate('wg0'), (error: RequestError) => error.code === 'scripts-not-allowed');
  await assert.rejects(services.api.activate('nope'), /no tunnel named/);
});

test('activating with no helper launches it (starting, then running) and then brings the tunnel up', async (t) => {
  let helper: FakeHelper | undefined;
  const { socketPath, services, states } = await setup(t, async () => {
    helper = new FakeHelper(socketPath, tunnelsHelper());
    await helper.start();
  });
  t.after(() => helper?.stop());
  await services.api.createTunnel('wg0', config());
  await until('not running', () => services.helper.state.status === 'not-running');
  await services.api.activate('wg0');
  assert.deepEqual(
    states.map((state) => state.status),
    ['starting', 'running'],
  );
  assert.equal(helper?.requests.at(-1)?.method, 'tunnel.up');
});

test('a cancelled password prompt leaves the helper not running and says so', async (t) => {
  const { services, states } = await setup(t, () => Promise.reject(new Error('User did not grant permission.')));
  await services.api.createTunnel('wg0', config());
  await assert.rejects(services.api.activate('wg0'), /did not grant/);
  assert.deepEqual(
    states.map((state) => state.status),
    ['starting', 'not-running'],
  );
  assert.ok(
    (await services.api.getLogs()).some(
      (line) => line.level === 'error' && /starting the helper for this session failed/.test(line.message),
    ),
  );
});

test('the elevated command starts the helper in the background for the user, quoted', () => {
  const launch = {
    nodePath: '/opt/Wirefly/wirefly',
    runAsNode: true,
    helperScript: "/opt/Wire fly/it's/wirefly-helper",
    user: '1000',
    socketPath: '/run/wirefly/helper.sock',
  };
  assert.deepEqual(elevatedHelperCommand(launch, 'linux'), {
    command: `nohup '/opt/Wirefly/wirefly' '/opt/Wire fly/it'\\''s/wirefly-helper' 'serve' '--user' '1000' '--socket' '/run/wirefly/helper.sock' </dev/null >/dev/null 2>&1 &`,
    env: { ELECTRON_RUN_AS_NODE: '1' },
  });
  // macOS: the helper for this session may serve from files that are not root's; no daemon may.
  assert.equal(
    elevatedHelperCommand(launch, 'darwin').command,
    `nohup '/opt/Wirefly/wirefly' '/opt/Wire fly/it'\\''s/wirefly-helper' 'serve' '--user' '1000' '--socket' '/run/wirefly/helper.sock' '--allow-unsafe-code' </dev/null >/dev/null 2>&1 &`,
  );
  assert.deepEqual(
    elevatedHelperCommand(
      {
        ...launch,
        runAsNode: false,
        nodePath: 'C:\\Program Files\\node.exe',
        helperScript: 'C:\\w\\"x"',
        user: 'S-1-5-21-1004336348-1177238915-682003330-1001',
      },
      'win32',
    ),
    {
      command: `start "" /B "C:\\Program Files\\node.exe" "C:\\w\\\\\\"x\\"" serve --user S-1-5-21-1004336348-1177238915-682003330-1001 --socket /run/wirefly/helper.sock`,
      env: {},
    },
  );
});

test('startHelperElevated runs that command through the prompt once, named Wirefly', async () => {
  const calls: unknown[][] = [];
  const exec = ((command: string, options: unknown, callback: (error?: Error) => void) => {
    calls.push([command, options]);
    callback();
  }) as SudoExec;
  const launch = { nodePath: '/usr/bin/node', runAsNode: false, helperScript: '/h', user: '1', socketPath: '/s' };
  await startHelperElevated(launch, exec);
  assert.deepEqual(calls, [[elevatedHelperCommand(launch).command, { name: 'Wirefly', env: {} }]]);
  const refusing = ((_command: string, _options: unknown, callback: (error?: Error) => void) =>
    callback(new Error('User did not grant permission.'))) as SudoExec;
  await assert.rejects(startHelperElevated(launch, refusing), /did not grant/);
});

test('backoff doubles from the first delay up to the ceiling', () => {
  const policy = { initialMs: 250, maxMs: 5_000 };
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 100].map((attempt) => backoffDelay(attempt, policy)),
    [250, 500, 1000, 2000, 4000, 5000, 5000, 5000],
  );
});
