// The app's services against the real helper: the helper serves in a client
// namespace, wireguard-go is the peer in a server namespace, and the app (this
// process) imports a config, activates it, hears stats with a handshake and
// growing counters, and deactivates it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TunnelStats, TunnelSummary } from '../../app/src/api/wirefly-api.js';
import { helperScript } from '../../app/src/app-paths.js';
import { createMainServices, type MainServicesOptions } from '../../app/src/services/main-services.js';
import { plainText } from '../../app/src/store/encryption.js';
import { withLab, type Lab } from './harness/lab.js';
import { ping } from './harness/ping.js';
import { SERVER_TUNNEL_ADDRESS, startTunnelServer } from './harness/tunnel-server.js';
import { HelperServiceStandIn } from '../unit/support/helper-service-stand-in.js';

async function waitFor<T>(what: string, value: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = value();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The app's services in this process, reaching the helper on `socketPath`. */
function appServices(
  lab: Lab,
  socketPath: string,
  launch: Pick<MainServicesOptions, 'helperService' | 'launchHelper'>,
) {
  return createMainServices({
    dataDir: join(lab.dir, 'app'),
    encryption: plainText,
    helperSocket: socketPath,
    appVersion: '0.1.0',
    helperBackoff: { initialMs: 50, maxMs: 200 },
    helperStartTimeoutMs: 30_000,
    ...launch,
  });
}

test('import, activate (starting the helper), stats with a handshake and growing counters, deactivate', async (t) => {
  await withLab(t, async (lab) => {
    const { client, clientConfig, serverPublicKey } = await startTunnelServer(lab, { persistentKeepalive: 1 });

    const socketPath = join(lab.dir, 'run', 'helper.sock');
    mkdirSync(join(lab.dir, 'run'));
    let helperStarts = 0;
    const services = await appServices(lab, socketPath, {
      helperService: new HelperServiceStandIn(),
      // What the password prompt would run, here in the client namespace (this test is root already).
      launchHelper: async () => {
        helperStarts += 1;
        client.spawn(process.execPath, [
          helperScript(),
          'serve',
          '--user',
          String(process.getuid!()),
          '--socket',
          socketPath,
          '--state-dir',
          join(lab.dir, 'state'),
          '--settings',
          join(lab.dir, 'helper.json'),
        ]);
      },
    });
    try {
      const tunnelName = lab.tunnelInterfaceName();
      const imported = await services.api.importFiles([
        { fileName: `${tunnelName}.conf`, dataBase64: Buffer.from(clientConfig).toString('base64') },
      ]);
      assert.deepEqual(imported, { imported: [tunnelName], failed: [], questions: [] });
      assert.deepEqual(await services.api.getHelperState(), { status: 'not-running' });

      let latest: TunnelSummary[] = [];
      services.api.onTunnels((tunnels) => (latest = tunnels));
      const stats: TunnelStats[] = [];
      services.api.onStats((value) => stats.push(value));

      await services.api.activate(tunnelName);
      assert.equal(helperStarts, 1);
      assert.equal((await services.api.getHelperState()).status, 'running');
      await waitFor('the tunnel to be active', () =>
        latest.find((tunnel) => tunnel.name === tunnelName && tunnel.state === 'active'),
      );

      const pinged = await ping(client, SERVER_TUNNEL_ADDRESS, { count: 3, deadlineSeconds: 20 });
      assert.ok(pinged.received > 0, 'echo replies through the tunnel');

      const handshaken = await waitFor('stats with a handshake', () =>
        stats.find(
          (value) =>
            value.tunnel === tunnelName && value.peers[0]?.latestHandshake !== undefined && value.peers[0].rxBytes > 0,
        ),
      );
      const peer = handshaken.peers[0]!;
      assert.equal(peer.publicKey, serverPublicKey);
      assert.deepEqual(peer.allowedIps, ['10.77.0.0/24']);
      assert.ok(Math.abs(peer.latestHandshake! - Date.now()) < 120_000, 'handshake time is Unix ms of about now');
      await ping(client, SERVER_TUNNEL_ADDRESS, { count: 3, deadlineSeconds: 20 });
      await waitFor('counters to grow', () =>
        stats.find(
          (value) =>
            value.at > handshaken.at &&
            (value.peers[0]?.rxBytes ?? 0) > peer.rxBytes &&
            (value.peers[0]?.txBytes ?? 0) > peer.txBytes,
        ),
      );

      await services.api.deactivate(tunnelName);
      await waitFor('the tunnel to be inactive', () =>
        latest.find((tunnel) => tunnel.name === tunnelName && tunnel.state === 'inactive'),
      );
      assert.equal(
        (await ping(client, SERVER_TUNNEL_ADDRESS, { count: 1, deadlineSeconds: 2 }).catch(() => ({ received: 0 })))
          .received,
        0,
        'no tunnel, no replies',
      );
      assert.ok(
        (await services.api.getLogs()).some((line) => line.source === 'helper'),
        "the helper's log lines reach the app",
      );
    } finally {
      services.close();
    }
  });
});

test('connect at boot: the helper keeps a root-only copy and brings the tunnel up when it next starts, by itself', async (t) => {
  await withLab(t, async (lab) => {
    const { client, clientConfig } = await startTunnelServer(lab, { persistentKeepalive: 1 });
    const socketPath = join(lab.dir, 'run', 'helper.sock');
    const stateDir = join(lab.dir, 'state');
    mkdirSync(join(lab.dir, 'run'));
    // What the service manager runs at boot, here in the client namespace.
    const startService = () =>
      client.spawn(process.execPath, [
        helperScript(),
        'serve',
        '--user',
        String(process.getuid!()),
        '--socket',
        socketPath,
        '--state-dir',
        stateDir,
        '--settings',
        join(lab.dir, 'helper.json'),
      ]);
    const service = new HelperServiceStandIn({ kind: 'installed' }, async () => void startService());
    const services = await appServices(lab, socketPath, {
      helperService: service,
      launchHelper: () => Promise.reject(new Error('the installed service is started instead')),
    });
    try {
      const name = lab.tunnelInterfaceName();
      await services.api.importFiles([
        { fileName: `${name}.conf`, dataBase64: Buffer.from(clientConfig).toString('base64') },
      ]);
      await assert.rejects(services.api.setConnectAtBoot(name, true), /helper is not running/);
      await services.api.startHelper();
      assert.equal(service.starts, 1, 'with the service installed, starting the helper starts the service');
      await services.api.setConnectAtBoot(name, true);
      const copy = join(stateDir, 'boot', `${name}.json`);
      assert.equal(statSync(copy).mode & 0o777, 0o600);
      assert.equal(statSync(copy).uid, 0);
      assert.equal(statSync(join(stateDir, 'boot')).mode & 0o777, 0o700);
      assert.equal((await services.api.listTunnels()).find((tunnel) => tunnel.name === name)?.connectAtBoot, true);

      // The machine restarts: the helper stops with SIGTERM and starts again, and nobody asks for the tunnel.
      for (const started of lab.startedProcesses().filter((process) => process.label.includes('serve')))
        await started.stop();
      await waitFor('the app to see the helper gone', () =>
        services.helper.state.status === 'not-running' ? true : undefined,
      );
      startService();
      await waitFor('the boot tunnel to come up by itself', () =>
        services.helper.tunnels.find((tunnel) => tunnel.name === name && tunnel.state === 'active'),
      );
      assert.equal((await ping(client, SERVER_TUNNEL_ADDRESS, { count: 3, deadlineSeconds: 20 })).received, 3);
      const privateKey = /PrivateKey = (\S+)/.exec(clientConfig)![1]!;
      for (const started of lab.startedProcesses())
        assert.ok(!started.log().includes(privateKey), `${started.label} logged the private key`);

      // Edits follow the copy; unmarking removes it.
      await services.api.deactivate(name);
      await services.api.saveConfig(name, `${clientConfig}# edited\n`);
      assert.match(JSON.parse(readFileSync(copy, 'utf8')).configText, /# edited/);
      await services.api.setConnectAtBoot(name, false);
      assert.ok(!existsSync(copy));
      assert.equal((await services.api.listTunnels()).find((tunnel) => tunnel.name === name)?.connectAtBoot, false);
    } finally {
      services.close();
    }
  });
});
