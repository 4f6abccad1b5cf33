// What the engine, the helper's event source and the tunnel manager do when
// the network changes or the machine wakes: in virtual time, with fakes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualNetwork, ipv4Packet, type Node } from './support/virtual-network.js';
import { FakeSystem, PEER_KEY, clientConfig } from './support/service-fakes.js';
import { generatePrivateKey, keyFromBase64, publicKeyFromPrivate } from '../../helper/src/config/index.js';
import { ROAM_FOLLOW_DELAY_MS } from '../../helper/src/service/tunnel-manager.js';
import { MESSAGE_INITIATION } from '../../helper/src/engine/messages.js';
import { HANDSHAKE_INITIATION_RATE, REJECT_AFTER_TIME, REKEY_TIMEOUT } from '../../helper/src/engine/constants.js';
import { parseEndpoint } from '../../helper/src/net/ip.js';
import { RESUME_THRESHOLD_MS, ResumeDetector } from '../../helper/src/service/resume-detector.js';
import { describeChanges } from '../../helper/src/service/network-events.js';
import { FIRST_HANDSHAKE_MS, STALE_HANDSHAKE_MS } from '../../helper/src/service/endpoint-refresh.js';
import { recheckStickySources } from '../../helper/src/runtime/sticky-sources.js';

const initiations = (node: Node) => node.sent.filter((s) => s.datagram[0] === MESSAGE_INITIATION);

function pair() {
  const net = new VirtualNetwork();
  const a = net.addNode('a', '192.0.2.1:51820');
  const b = net.addNode('b', '192.0.2.2:51820');
  const peerB = net.connect(a, b, ['10.0.0.2/32']);
  net.connect(b, a, ['10.0.0.1/32']);
  return { net, a, b, peerB };
}

test('a network change starts a handshake at once with a peer in use, within REKEY_TIMEOUT of the last', () => {
  const { net, a, b, peerB } = pair();
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  assert.equal(b.received.length, 1);
  assert.equal(initiations(a).length, 1);
  net.advance(REKEY_TIMEOUT / 5);
  assert.equal(a.device.networkChanged(), 1);
  assert.equal(initiations(a).length, 2, 'sent without waiting out REKEY_TIMEOUT');
  const current = peerB.keypairs.current;
  net.flush();
  assert.notEqual(peerB.keypairs.current, current, 'the new session replaced the old one');
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  assert.equal(b.received.length, 2);
});

test('a network change forgets the sticky source and leaves a peer that never talked quiet', () => {
  const net = new VirtualNetwork();
  const a = net.addNode('a', '192.0.2.1:51820');
  const b = net.addNode('b', '192.0.2.2:51820');
  const c = net.addNode('c', '192.0.2.3:51820');
  const peerB = net.connect(a, b, ['10.0.0.2/32']);
  const peerC = net.connect(a, c, ['10.0.0.3/32']);
  const sticky = {
    ...parseEndpoint('192.0.2.2:51820')!,
    localAddress: new Uint8Array([192, 0, 2, 1]),
    localInterface: 7,
  };
  peerB.endpoint = sticky;
  peerC.endpoint = {
    ...parseEndpoint('192.0.2.3:51820')!,
    localAddress: new Uint8Array([192, 0, 2, 1]),
    localInterface: 7,
  };
  peerB.staged.push(ipv4Packet('10.0.0.1', '10.0.0.2'));
  assert.equal(a.device.networkChanged(), 1);
  assert.equal(peerB.endpoint.localAddress, undefined);
  assert.equal(peerB.endpoint.localInterface, undefined);
  assert.deepEqual([...peerB.endpoint.bytes], [...sticky.bytes]);
  assert.equal(peerC.endpoint.localAddress, undefined);
  assert.equal(initiations(a).length, 1);
  assert.deepEqual(
    initiations(a).map((sent) => sent.to.bytes[3]),
    [2],
    'only the peer in use was asked',
  );
});

test('after a sleep longer than a session (boot-time clock), the next packet makes a new session', () => {
  const { net, a, b, peerB } = pair();
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  const before = peerB.keypairs.current;
  // The boot-time clock jumps by the sleep; no timer ran meanwhile.
  net.clock.time += REJECT_AFTER_TIME + 1000;
  a.device.networkChanged();
  a.device.runTimers();
  net.flush();
  assert.notEqual(peerB.keypairs.current, before);
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  assert.equal(b.received.length, 2);
});

test('resume detector: a boot-time jump is a suspend, a late tick a freeze, scheduling noise neither', () => {
  const detector = new ResumeDetector(1000);
  assert.equal(detector.observe({ bootTime: 10_000, monotonicTime: 5_000 }), undefined);
  assert.equal(detector.observe({ bootTime: 11_300, monotonicTime: 6_300 }), undefined, 'a tick 300 ms late');
  assert.deepEqual(detector.observe({ bootTime: 72_300, monotonicTime: 7_300 }), { kind: 'suspend', pausedMs: 60_000 });
  assert.deepEqual(detector.observe({ bootTime: 82_300, monotonicTime: 17_300 }), { kind: 'freeze', pausedMs: 9_000 });
  assert.equal(
    detector.observe({ bootTime: 82_300 + RESUME_THRESHOLD_MS - 1, monotonicTime: 17_300 + 1000 }),
    undefined,
  );
});

test('network events: changes of the tunnels own interfaces are ignored, the rest named', () => {
  const own = new Set(['wg0']);
  assert.equal(describeChanges([{ kind: 'route', interfaceName: 'wg0' }], own), undefined);
  assert.equal(
    describeChanges(
      [
        { kind: 'address', interfaceName: 'eth1' },
        { kind: 'route', interfaceName: 'wg0' },
        { kind: 'address', interfaceName: 'eth0' },
        { kind: 'route', interfaceName: undefined },
      ],
      own,
    ),
    'address change on eth0, eth1; route change on a removed interface',
  );
  assert.equal(describeChanges([{ kind: 'lost', interfaceName: undefined }], own), 'changes missed on the system');
});

test('tunnel manager: a network change re-handshakes every active tunnel and re-resolves its host names', async () => {
  const system = new FakeSystem();
  const manager = system.manager();
  await manager.up({ name: 'wg0', configText: clientConfig({ endpoint: 'vpn.example:51820' }) });
  const apart = clientConfig({ allowedIps: '10.201.0.0/24' })
    .replace('Address = 10.200.0.2/32', 'Address = 10.201.0.2/32')
    .replace('DNS = 10.200.0.1\n', '');
  await manager.up({ name: 'wg1', configText: apart });
  system.actions.length = 0;
  await manager.networkChanged('address change on eth0');
  assert.deepEqual(system.actions.sort(), [
    'engine network-changed wg0',
    'engine network-changed wg1',
    'resolve vpn.example',
  ]);
  assert.equal(system.engines.get('wg0')!.requests.length, 1, 'same address: the endpoint is not set again');
});

test('tunnel manager: an endpoint that resolves elsewhere now is set again and handshaken with', async () => {
  const system = new FakeSystem();
  let answer = new Uint8Array([192, 0, 2, 9]);
  const manager = system.manager(false, async () => ({ family: 4, bytes: answer }));
  await manager.up({ name: 'wg0', configText: clientConfig({ endpoint: 'vpn.example:51820' }) });
  const engine = system.engines.get('wg0')!;
  answer = new Uint8Array([192, 0, 2, 77]);
  system.actions.length = 0;
  await manager.networkChanged('link change on eth0');
  assert.deepEqual(system.actions, [
    'engine network-changed wg0',
    'resolve vpn.example',
    'engine configure wg0',
    'network endpoints wg0 192.0.2.77:51820',
    'engine network-changed wg0',
  ]);
  const moved = engine.requests.at(-1)!;
  assert.equal(moved.replacePeers, false);
  assert.equal(moved.peers[0]!.updateOnly, true);
  assert.deepEqual([...moved.peers[0]!.endpoint!.bytes], [192, 0, 2, 77]);
  assert.equal(moved.peers[0]!.endpoint!.port, 51820);
});

test('tunnel manager: when the network cannot follow a moved endpoint, that is logged and the engine still tries it', async () => {
  const system = new FakeSystem();
  let answer = new Uint8Array([192, 0, 2, 9]);
  const manager = system.manager(false, async () => ({ family: 4, bytes: answer }));
  const logged: string[] = [];
  manager.onEvent((event) => {
    if (event.type === 'event' && event.event === 'log') logged.push(event.line.message);
  });
  await manager.up({ name: 'wg0', configText: clientConfig({ endpoint: 'vpn.example:51820' }) });
  answer = new Uint8Array([192, 0, 2, 77]);
  system.failEndpointUpdate = new Error('pfctl: no such anchor');
  system.actions.length = 0;
  await manager.networkChanged('link change on eth0');
  assert.deepEqual(system.actions.slice(-2), ['network endpoints wg0 192.0.2.77:51820', 'engine network-changed wg0']);
  assert.ok(logged.includes('following the moved endpoint failed: pfctl: no such anchor'), logged.join('\n'));
});

test('tunnel manager: a configured peer that roams is followed by the network at once, then once more for the rest of a burst; a peer the config gives no endpoint is not', async () => {
  const system = new FakeSystem();
  const manager = system.manager();
  await manager.up({ name: 'wg0', configText: clientConfig() });
  const engine = system.engines.get('wg0')!;
  system.actions.length = 0;
  const server = keyFromBase64(PEER_KEY)!;
  const stranger = publicKeyFromPrivate(generatePrivateKey());
  engine.roam(stranger, parseEndpoint('203.0.113.99:40000')!);
  await new Promise((resolve) => setTimeout(resolve, ROAM_FOLLOW_DELAY_MS + 300));
  assert.deepEqual(
    system.actions,
    [],
    'a peer the config gives no Endpoint (here: none of its peers): nothing follows it',
  );
  engine.roam(server, parseEndpoint('203.0.113.7:51820')!);
  assert.deepEqual(system.actions, ['network endpoints wg0 203.0.113.7:51820'], 'the first move at once');
  engine.roam(stranger, parseEndpoint('203.0.113.98:40000')!);
  engine.roam(server, parseEndpoint('203.0.113.8:51820')!);
  engine.roam(server, parseEndpoint('203.0.113.10:51820')!);
  assert.equal(system.actions.length, 1, 'the rest of the burst waits');
  await new Promise((resolve) => setTimeout(resolve, ROAM_FOLLOW_DELAY_MS + 300));
  assert.deepEqual(system.actions.slice(1), ['network endpoints wg0 203.0.113.10:51820'], 'then once, for the last');
  await new Promise((resolve) => setTimeout(resolve, ROAM_FOLLOW_DELAY_MS + 300));
  assert.equal(system.actions.length, 2, 'a quiet second follows nothing');
  system.actions.length = 0;

  // A move, another within the second, then down: the second is never followed, nor is a move after down.
  engine.roam(server, parseEndpoint('203.0.113.9:51820')!);
  engine.roam(server, parseEndpoint('203.0.113.11:51820')!);
  assert.deepEqual(system.actions, ['network endpoints wg0 203.0.113.9:51820']);
  await manager.down('wg0');
  system.actions.length = 0;
  await new Promise((resolve) => setTimeout(resolve, ROAM_FOLLOW_DELAY_MS + 300));
  engine.roam(server, parseEndpoint('203.0.113.12:51820')!);
  assert.deepEqual(system.actions, []);
});

test("tunnel manager: the engine's UDP moved to another port is followed by the network; a failure is logged", async () => {
  const system = new FakeSystem();
  const manager = system.manager();
  const logged: string[] = [];
  manager.onEvent((event) => {
    if (event.type === 'event' && event.event === 'log') logged.push(event.line.message);
  });
  const settled = () => new Promise((resolve) => setImmediate(resolve));
  await manager.up({ name: 'wg0', configText: clientConfig() });
  const engine = system.engines.get('wg0')!;
  system.actions.length = 0;
  engine.rebind(40123);
  await settled();
  assert.deepEqual(system.actions, ['network engine-port wg0 40123']);
  system.failEndpointUpdate = new Error('pfctl: no such anchor');
  engine.rebind(40124);
  await settled();
  assert.ok(logged.includes('following the new port failed: pfctl: no such anchor'), logged.join('\n'));
  await manager.down('wg0');
  system.actions.length = 0;
  engine.rebind(40125);
  await settled();
  assert.deepEqual(system.actions, [], 'after down, nothing follows');
});

test('tunnel manager: host names are re-resolved only for peers whose handshakes have failed for a while', async () => {
  const system = new FakeSystem();
  let now = 1_800_000_000_000;
  const manager = system.manager(false, undefined, () => now);
  await manager.up({ name: 'wg0', configText: clientConfig({ endpoint: 'vpn.example:51820' }) });
  const engine = system.engines.get('wg0')!;
  system.actions.length = 0;

  engine.lastHandshakeSec = undefined;
  now += FIRST_HANDSHAKE_MS - 1;
  await manager.refreshStaleEndpoints();
  assert.deepEqual(system.actions, [], 'a new tunnel gets its first handshake some time');
  now += 1;
  await manager.refreshStaleEndpoints();
  assert.deepEqual(system.actions, ['resolve vpn.example']);

  system.actions.length = 0;
  engine.lastHandshakeSec = (now - STALE_HANDSHAKE_MS + 1000) / 1000;
  await manager.refreshStaleEndpoints();
  assert.deepEqual(system.actions, [], 'a handshake within 135 s');
  now += 1500; // the fake's handshakes are at .5 s
  await manager.refreshStaleEndpoints();
  assert.deepEqual(system.actions, ['resolve vpn.example']);
});

test('sticky sources: kept while routing from them still leaves by their interface, let go otherwise', () => {
  const net = new VirtualNetwork();
  const a = net.addNode('a', '192.0.2.1:51820');
  const peers = ['192.0.2.2', '192.0.2.3', '192.0.2.4'].map((address, i) => {
    const node = net.addNode(`p${i}`, `${address}:51820`);
    const peer = net.connect(a, node, [`10.0.0.${i + 2}/32`]);
    peer.endpoint = { ...node.endpoint, localAddress: new Uint8Array([192, 0, 2, 1]), localInterface: 7 };
    return peer;
  });
  const asked: string[] = [];
  const forgotten = recheckStickySources(
    a.device,
    (destination, source, mark) => {
      asked.push(`${destination.bytes.join('.')} from ${source.join('.')} mark ${mark}`);
      if (destination.bytes[3] === 3) return { interfaceIndex: 8 };
      if (destination.bytes[3] === 4) throw Object.assign(new Error('unreachable'), { code: 'ENETUNREACH' });
      return { interfaceIndex: 7 };
    },
    51820,
  );
  assert.equal(forgotten, 2);
  assert.deepEqual(asked, [
    '192.0.2.2 from 192.0.2.1 mark 51820',
    '192.0.2.3 from 192.0.2.1 mark 51820',
    '192.0.2.4 from 192.0.2.1 mark 51820',
  ]);
  assert.deepEqual(
    peers.map((peer) => peer.endpoint!.localInterface),
    [7, undefined, undefined],
  );
  assert.equal(
    recheckStickySources(a.device, () => ({ interfaceIndex: 7 }), 0),
    0,
    'nothing sticky left to doubt',
  );
});

test('a second change within the responder flood window sends nothing more, and the first handshake completes', () => {
  const { net, a, b, peerB } = pair();
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  net.advance(HANDSHAKE_INITIATION_RATE); // b would refuse an initiation sooner after the first, as a flood
  const before = peerB.keypairs.current;
  assert.equal(a.device.networkChanged(), 1);
  assert.equal(a.device.networkChanged(), 0, 'within HANDSHAKE_INITIATION_RATE of the last, to the same address');
  assert.equal(initiations(a).length, 2);
  net.flush();
  assert.notEqual(peerB.keypairs.current, before);
  net.advance(HANDSHAKE_INITIATION_RATE);
  assert.equal(a.device.networkChanged(), 1, 'past the window a change handshakes again');
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  assert.equal(b.received.length, 2);
});

test('an endpoint moved to another address handshakes at once, however recent the last initiation', () => {
  const { net, a, peerB } = pair();
  a.device.handleTunPacket(ipv4Packet('10.0.0.1', '10.0.0.2'));
  net.flush();
  assert.equal(a.device.networkChanged(), 1);
  peerB.endpoint = parseEndpoint('192.0.2.99:51820')!;
  assert.equal(a.device.networkChanged(), 1);
  assert.equal(initiations(a).at(-1)!.to.bytes[3], 99);
});

test('asked for every peer (the doctor), a peer that never talked handshakes too', () => {
  const { net, a, peerB } = pair();
  assert.equal(a.device.networkChanged(), 0);
  assert.equal(a.device.networkChanged(true), 1);
  net.flush();
  assert.ok(peerB.keypairs.current);
});
