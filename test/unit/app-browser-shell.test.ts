import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket as NodeWebSocket } from 'ws';
import { generatePrivateKey, keyToBase64 } from '../../helper/src/config/index.js';
import { ApiError } from '../../app/src/api/api-protocol.js';
import { browserShellApiUrl, connectWireflyApi } from '../../app/src/api/websocket-client.js';
import type { TunnelSummary, WireflyApi } from '../../app/src/api/wirefly-api.js';
import { HelperClient } from '../../app/src/helper-client/helper-client.js';
import { AppServices } from '../../app/src/services/app-services.js';
import { LogBuffer } from '../../app/src/services/log-buffer.js';
import { plainText } from '../../app/src/store/encryption.js';
import { Preferences } from '../../app/src/store/preferences.js';
import { TunnelStore } from '../../app/src/store/tunnel-store.js';
import { startBrowserShell } from '../../app/src/web/browser-shell.js';
import type { BrowserShell } from '../../app/src/web/browser-shell.js';
import { HelperServiceStandIn } from './support/helper-service-stand-in.js';

interface Response {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A shell over real services (store, preferences, an unstarted helper client) and a tiny renderer build. */
async function shell(t: { after(fn: () => Promise<void> | void): void }): Promise<BrowserShell> {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-app-shell-'));
  const rendererDir = join(dir, 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><script type="module" src="/assets/app.js"></script>');
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log("renderer")');
  writeFileSync(join(dir, 'secret.txt'), 'outside the renderer folder');
  const api = new AppServices({
    store: await TunnelStore.open(join(dir, 'tunnels'), plainText),
    preferences: await Preferences.open(join(dir, 'preferences.json')),
    helper: new HelperClient({ socketPath: join(dir, 'none.sock'), clientName: 'test', appVersion: '0.0.0' }),
    log: new LogBuffer(),
    launchHelper: () => Promise.reject(new Error('no helper here')),
    service: new HelperServiceStandIn(),
  });
  const started = await startBrowserShell({ api, rendererDir });
  t.after(async () => {
    await started.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return started;
}

function socketFrom(origin: string | undefined): typeof WebSocket {
  return class extends NodeWebSocket {
    constructor(url: string) {
      super(url, origin === undefined ? {} : { origin });
    }
  } as unknown as typeof WebSocket;
}

/** Whether the server accepts a WebSocket at `url` from `origin`. */
function upgradeAccepted(url: string, origin: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new NodeWebSocket(url, origin === undefined ? {} : { origin });
    socket.on('open', () => {
      socket.close();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function apiFor(server: BrowserShell): WireflyApi {
  const origin = `http://127.0.0.1:${server.port}`;
  return connectWireflyApi(browserShellApiUrl(new URL(server.url)), socketFrom(origin));
}

test('listens on 127.0.0.1 with a random port and token, and prints a URL that carries it', async (t) => {
  const a = await shell(t);
  const b = await shell(t);
  assert.match(a.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
  assert.notEqual(a.port, b.port);
  assert.notEqual(a.token, b.token);
});

test('serves the renderer only with the token, with a strict CSP and a cookie for the assets', async (t) => {
  const server = await shell(t);
  const page = await get(server.port, `/?token=${server.token}`);
  assert.equal(page.status, 200);
  assert.match(page.body, /assets\/app\.js/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
  assert.equal(page.headers['referrer-policy'], 'no-referrer');
  const cookie = String(page.headers['set-cookie']).split(';')[0]!;
  assert.equal(cookie, `wirefly-token-${server.port}=${server.token}`);

  assert.equal((await get(server.port, '/')).status, 403);
  assert.equal((await get(server.port, '/?token=wrong')).status, 403);
  assert.equal((await get(server.port, '/assets/app.js')).status, 403);
  const asset = await get(server.port, '/assets/app.js', { cookie });
  assert.equal(asset.status, 200);
  assert.equal(asset.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal((await get(server.port, '/tunnels/wg0', { cookie })).body, page.body, 'UI routes get the page');
  assert.equal((await get(server.port, '/assets/missing.js', { cookie })).status, 404);
});

test('does not serve files outside the renderer folder', async (t) => {
  const server = await shell(t);
  for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e%2fsecret.txt']) {
    const response = await get(server.port, `${path}?token=${server.token}`);
    assert.notEqual(response.status, 200, path);
    assert.doesNotMatch(response.body, /outside the renderer/, path);
  }
});

test('answers only to its own loopback host name (no DNS rebinding)', async (t) => {
  const server = await shell(t);
  const response = await get(server.port, `/?token=${server.token}`, { host: `evil.example:${server.port}` });
  assert.equal(response.status, 421);
  assert.equal((await get(server.port, `/?token=${server.token}`, { host: `localhost:${server.port}` })).status, 200);
});

test('the WebSocket needs the token and an origin of this very server', async (t) => {
  const server = await shell(t);
  const base = `ws://127.0.0.1:${server.port}/api`;
  const own = `http://127.0.0.1:${server.port}`;
  assert.equal(await upgradeAccepted(`${base}?token=${server.token}`, own), true);
  assert.equal(await upgradeAccepted(`${base}?token=${server.token}`, `http://localhost:${server.port}`), true);
  assert.equal(await upgradeAccepted(base, own), false, 'no token');
  // One character changed; a fixed replacement would equal the token whenever it starts with it.
  const wrongToken = `${server.token.startsWith('x') ? 'y' : 'x'}${server.token.slice(1)}`;
  assert.equal(await upgradeAccepted(`${base}?token=${wrongToken}`, own), false, 'wrong token');
  assert.equal(await upgradeAccepted(`${base}?token=${server.token}`, 'http://evil.example'), false, 'foreign origin');
  assert.equal(
    await upgradeAccepted(`${base}?token=${server.token}`, `http://127.0.0.1:${server.port + 1}`),
    false,
    'other port',
  );
  assert.equal(await upgradeAccepted(`${base}?token=${server.token}`, undefined), false, 'no origin');
  assert.equal(
    await upgradeAccepted(`ws://127.0.0.1:${server.port}/other?token=${server.token}`, own),
    false,
    'other path',
  );
});

test('WireflyApi over the WebSocket: calls, results, errors with codes, and pushed events', async (t) => {
  const server = await shell(t);
  const api = apiFor(server);
  const other = apiFor(server);
  const heard: TunnelSummary[][] = [];
  other.onTunnels((tunnels) => heard.push(tunnels));
  await other.listTunnels(); // connected, so subscribed

  const text = `[Interface]\nPrivateKey = ${keyToBase64(generatePrivateKey())}\n`;
  const saved = await api.createTunnel('wg0', text);
  assert.equal(saved.saved, true);
  assert.deepEqual(
    saved.issues.map((issue) => issue.code),
    ['no-peers'],
  );
  assert.deepEqual(await api.listTunnels(), [
    { name: 'wg0', state: 'inactive', killSwitch: false, connectAtBoot: false, owned: true },
  ]);
  assert.equal(await api.getConfig('wg0'), text);
  assert.equal(await api.renameTunnel('wg0', 'home'), undefined);
  assert.deepEqual(await api.getHelperState(), { status: 'not-running' });

  await assert.rejects(
    api.createTunnel('home', text),
    (error: ApiError) => error instanceof ApiError && error.code === 'tunnel-exists',
  );
  await assert.rejects(api.getConfig(42 as unknown as string), (error: ApiError) => error.code === 'bad-arguments');
  const raw = api as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  await assert.rejects(raw['listTunnels']!('extra'), (error: ApiError) => error.code === 'bad-arguments');

  const deadline = Date.now() + 5_000;
  while (heard.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(
    heard.map((tunnels) => tunnels.map((tunnel) => tunnel.name)),
    [['wg0'], ['home']],
  );
  const logs = await api.getLogs();
  assert.ok(logs.some((line) => line.message === 'tunnel renamed to home' && line.source === 'app'));
});

test('a connection closed by the server fails pending and later calls', async (t) => {
  const server = await shell(t);
  const api = apiFor(server);
  await api.listTunnels();
  await server.close();
  await assert.rejects(api.listTunnels(), (error: ApiError) => error.code === 'disconnected');
});
