import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyFromBase64, keyToBase64, publicKeyFromPrivate } from '../../helper/src/config/index.js';
import { RequestError, type TunnelSummary } from '../../helper/src/rpc/index.js';
import { clientConfig, FakeSystem, PEER_KEY } from './support/service-fakes.js';

function states(system: FakeSystem, manager = system.manager()) {
  const seen: string[] = [];
  manager.onEvent((event) => {
    if (event.event === 'tunnel.state') seen.push(`${event.tunnel.name}:${event.tunnel.state}`);
  });
  return { manager, seen };
}

function runningNames(manager: ReturnType<FakeSystem['manager']>): string[] {
  return manager
    .list()
    .map((t) => t.name)
    .sort();
}

async function refusal(promise: Promise<unknown>): Promise<RequestError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RequestError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
}

test('up starts the engine, configures it from the config, then applies the network', async () => {
  const system = new FakeSystem();
  const { manager, seen } = states(system);
  const configText = clientConfig();
  const { replaced, ...summary } = await manager.up({ name: 'wf0', configText }, 'wirefly 0.1.0');
  const publicKey = keyToBase64(publicKeyFromPrivate(keyFromBase64(/PrivateKey = (\S+)/.exec(configText)![1]!)!));
  assert.deepEqual(summary, { name: 'wf0', state: 'active', killSwitch: false, startedBy: 'wirefly 0.1.0', publicKey });
  assert.deepEqual(replaced, []);
  assert.deepEqual(system.actions, ['engine start wf0', 'engine configure wf0', 'network apply wf0']);
  assert.deepEqual(seen, ['wf0:activating', 'wf0:active']);
  const request = system.engines.get('wf0')!.requests[0]!;
  assert.equal(request.replacePeers, true);
  assert.equal(request.peers.length, 1);
  assert.equal(request.peers[0]!.replaceAllowedIps, true);
  assert.deepEqual(manager.list(), [summary]);
});

test('an up that conflicts with an active tunnel is refused before anything changes, or switches when asked', async () => {
  const system = new FakeSystem();
  const { manager, seen } = states(system);
  await manager.up({ name: 'wf0', configText: clientConfig() });
  const refused = await refusal(manager.up({ name: 'wf1', configText: clientConfig({ allowedIps: '10.200.0.0/16' }) }));
  assert.equal(refused.code, 'tunnel-conflict');
  assert.match(
    refused.message,
    /conflicts with the active tunnel wf0 \(both route 10\.200\.0\.0\/24, both set DNS, both use the address 10\.200\.0\.2\/32\)/,
  );
  assert.deepEqual(system.actions, ['engine start wf0', 'engine configure wf0', 'network apply wf0']);
  seen.length = 0;
  const switched = await manager.up({ name: 'wf1', configText: clientConfig(), replaceConflicting: true });
  assert.deepEqual(switched.replaced, ['wf0']);
  // The first is all the way down before the second starts.
  assert.deepEqual(seen, ['wf0:deactivating', 'wf0:inactive', 'wf1:activating', 'wf1:active']);
  assert.deepEqual(
    manager.list().map((t) => t.name),
    ['wf1'],
  );
});

test('two tunnels that both block untunneled traffic conflict, however apart their networks', async () => {
  const system = new FakeSystem();
  const manager = system.manager();
  await manager.up({ name: 'wf0', configText: clientConfig({ net: 201, dns: false }), killSwitch: true });
  const refused = await refusal(
    manager.up({ name: 'wf1', configText: clientConfig({ net: 202, dns: false }), killSwitch: true }),
  );
  assert.equal(refused.code, 'tunnel-conflict');
  assert.match(refused.message, /conflicts with the active tunnel wf0 \(both block untunneled traffic\)/);
  await manager.up({ name: 'wf2', configText: clientConfig({ net: 203, dns: false }) });
  assert.deepEqual(runningNames(manager), ['wf0', 'wf2'], 'one of them without a kill switch runs beside it');
});

test('tunnels that claim nothing of each other run side by side; a replacing up leaves them alone', async () => {
  const system = new FakeSystem();
  const manager = system.manager();
  await manager.up({ name: 'wf0', configText: clientConfig({ net: 201, dns: false }) });
  await manager.up({ name: 'wf1', configText: clientConfig({ net: 202 }) });
  const third = await manager.up({ name: 'wf2', configText: clientConfig({ net: 203 }), replaceConflicting: true });
  assert.deepEqual(third.replaced, ['wf1'], 'only the one that also sets DNS went down');
  assert.deepEqual(runningNames(manager), ['wf0', 'wf2']);
});

test('a bad line is refused with its line error, and nothing is started', async () => {
  const system = new FakeSystem();
  const { manager, seen } = states(system);
  const text = clientConfig({ allowedIps: '10.0.0.300/32' });
  const error = await refusal(manager.up({ name: 'wf0', configText: text }));
  assert.equal(error.code, 'invalid-config');
  const line = text.split('\n').findIndex((l) => l.includes('10.0.0.300')) + 1;
  assert.match(error.message, new RegExp(`line ${line}:`));
  assert.deepEqual(
    error.configErrors?.map((e) => [e.line, e.code]),
    [[line, 'bad-network']],
  );
  assert.deepEqual(system.actions, []);
  assert.deepEqual(seen, []);
  assert.deepEqual(manager.list(), []);
});

test('scripts are refused unless the helper settings allow them; allowed, they run around up and down', async () => {
  const system = new FakeSystem();
  const extra = 'PreUp = echo pre %i\nPostUp = echo post %i\nPreDown = echo predown\nPostDown = echo postdown';
  const error = await refusal(system.manager(false).up({ name: 'wf0', configText: clientConfig({ extra }) }));
  assert.equal(error.code, 'scripts-not-allowed');
  assert.match(error.message, /PreUp \(line \d+\).*allowScripts/);
  assert.deepEqual(system.actions, []);

  const manager = system.manager(true);
  await manager.up({ name: 'wf0', configText: clientConfig({ extra }) });
  await manager.down('wf0');
  assert.deepEqual(system.actions, [
    'script echo pre wf0',
    'engine start wf0',
    'engine configure wf0',
    'network apply wf0',
    'script echo post wf0',
    'script echo predown',
    'network undo wf0',
    'engine close wf0',
    'script echo postdown',
  ]);
});

test('down undoes the network before stopping the engine, and the tunnel is gone', async () => {
  const system = new FakeSystem();
  const { manager, seen } = states(system);
  await manager.up({ name: 'wf0', configText: clientConfig() });
  system.actions.length = 0;
  await manager.down('wf0');
  assert.deepEqual(system.actions, ['network undo wf0', 'engine close wf0']);
  assert.deepEqual(seen.slice(2), ['wf0:deactivating', 'wf0:inactive']);
  assert.deepEqual(manager.list(), []);
  assert.equal((await refusal(manager.down('wf0'))).code, 'no-such-tunnel');
});

test('a full tunnel gets the kill switch by default; the request can turn it off', async () => {
  const system = new FakeSystem();
  const manager = system.manager();
  const full = await manager.up({ name: 'wf0', configText: clientConfig({ allowedIps: '0.0.0.0/0, ::/0' }) });
  assert.equal(full.killSwitch, true);
  await manager.down('wf0');
  const off = await manager.up({
    name: 'wf1',
    configText: clientConfig({ allowedIps: '0.0.0.0/0' }),
    killSwitch: false,
  });
  assert.equal(off.killSwitch, false);
  assert.deepEqual(
    system.networkRequests.map((r) => r.killSwitch),
    [true, false],
  );
});

test("the network can set the engine fwmark, knows the engine's port, and host-name endpoints are resolved once for both", async () => {
  const system = new FakeSystem();
  const manager = system.manager();
  await manager.up({ name: 'wf0', configText: clientConfig({ endpoint: 'vpn.example.test:51820' }) });
  const request = system.networkRequests[0]!;
  assert.equal(request.engineListenPort, system.engines.get('wf0')!.state().listenPort);
  assert.deepEqual([...request.resolvedHosts.keys()], ['vpn.example.test']);
  assert.deepEqual(system.engines.get('wf0')!.requests[0]!.peers[0]!.endpoint, {
    family: 4,
    bytes: new Uint8Array([192, 0, 2, 9]),
    port: 51820,
  });
  await request.setFwmark(51820);
  assert.deepEqual(system.actions, [
    'resolve vpn.example.test',
    'engine start wf0',
    'engine configure wf0',
    'network apply wf0',
    'engine configure wf0 fwmark=51820',
  ]);
});

test('a failing network step stops the engine and leaves the tunnel down again', async () => {
  const system = new FakeSystem();
  system.failNetwork = new Error('RTNETLINK answers: File exists');
  const { manager, seen } = states(system);
  const error = await refusal(manager.up({ name: 'wf0', configText: clientConfig() }));
  assert.equal(error.code, 'tunnel-failed');
  assert.match(error.message, /File exists/);
  assert.deepEqual(system.actions, [
    'engine start wf0',
    'engine configure wf0',
    'network apply wf0',
    'engine close wf0',
  ]);
  assert.deepEqual(seen, ['wf0:activating', 'wf0:inactive']);
  assert.deepEqual(manager.list(), [], 'nothing is left for a wirefly down to clear');
  system.failNetwork = undefined;
  assert.equal((await manager.up({ name: 'wf0', configText: clientConfig() })).state, 'active');
});

test('a second up of the same tunnel is refused; two different tunnels run at once', async () => {
  const system = new FakeSystem();
  const manager = system.manager();
  const [a, b] = await Promise.all([
    manager.up({ name: 'wf0', configText: clientConfig({ net: 201 }) }),
    manager.up({ name: 'wf1', configText: clientConfig({ net: 202, dns: false }) }),
  ]);
  assert.deepEqual([a.state, b.state], ['active', 'active']);
  assert.equal(
    (await refusal(manager.up({ name: 'wf0', configText: clientConfig({ net: 201 }) }))).code,
    'tunnel-exists',
  );
  assert.deepEqual(
    manager
      .list()
      .map((t: TunnelSummary) => t.name)
      .sort(),
    ['wf0', 'wf1'],
  );
});

test('an engine that dies by itself takes its networking with it and reports an error', async () => {
  const system = new FakeSystem();
  const { manager, seen } = states(system);
  await manager.up({ name: 'wf0', configText: clientConfig() });
  system.engines.get('wf0')!.die(new Error('TUN device gone'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(system.actions.includes('network undo wf0'));
  assert.equal(seen.at(-1), 'wf0:error');
  assert.match(manager.list()[0]?.error ?? '', /TUN device gone/);
});

test('stats report every active tunnel peer as the protocol shapes them', async () => {
  const system = new FakeSystem();
  const manager = system.manager();
  await manager.up({ name: 'wf0', configText: clientConfig() });
  system.engines.get('wf0')!.rxBytes = 1234n;
  const [stats] = manager.stats();
  assert.equal(stats?.tunnel, 'wf0');
  assert.deepEqual(stats?.peers, [
    {
      publicKey: PEER_KEY,
      endpoint: '198.51.100.1:51820',
      latestHandshake: 1_700_000_000_500,
      rxBytes: 1234,
      txBytes: 42,
      allowedIps: ['10.200.0.0/24'],
    },
  ]);
});

test('shutdown waits for an up under way and then brings everything down', async () => {
  const system = new FakeSystem();
  const manager = system.manager();
  await manager.up({ name: 'wf0', configText: clientConfig({ net: 201 }) });
  const late = manager.up({ name: 'wf1', configText: clientConfig({ net: 202, dns: false }) });
  await manager.shutdown();
  assert.equal((await late).state, 'active');
  assert.deepEqual(manager.list(), []);
  assert.ok(system.actions.includes('network undo wf0') && system.actions.includes('network undo wf1'));
  assert.equal((await refusal(manager.up({ name: 'wf2', configText: clientConfig() }))).code, 'tunnel-busy');
});
