// The connection doctor's reasoning, on evidence from fake probes: each cause
// is named when, and only when, its evidence is there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfig } from '../../helper/src/config/index.js';
import { parseIpAddress, formatIpAddress } from '../../helper/src/net/ip.js';
import { ConnectionDoctor, type DoctorSubject } from '../../helper/src/service/doctor/doctor.js';
import type { DoctorProbes } from '../../helper/src/service/doctor/probes.js';
import { pingTarget } from '../../helper/src/service/doctor/ping-target.js';
import { DoctorWatchdog } from '../../helper/src/service/doctor/watchdog.js';
import { FakeEngine, clientConfig } from './support/service-fakes.js';

const NOW = 1_800_000_000_000;

interface World {
  resolves: boolean;
  route: string | undefined;
  icmp: string | undefined;
  handshakeWhenAsked: boolean;
  recentHandshake: boolean;
  /** Echo packets up to this size are answered; 0: none are. */
  largestEcho: number;
  dns: boolean;
  pinged: string[];
}

function world(overrides: Partial<World> = {}): World {
  return {
    resolves: true,
    route: undefined,
    icmp: undefined,
    handshakeWhenAsked: true,
    recentHandshake: true,
    largestEcho: 1420,
    dns: true,
    pinged: [],
    ...overrides,
  };
}

function probes(w: World): DoctorProbes {
  return {
    resolve: async (host) => {
      if (!w.resolves) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
      return parseIpAddress('192.0.2.9')!;
    },
    routeProblem: () => w.route,
    udpError: async () => w.icmp,
    ping: async (_ifname, target, bytes, dontFragment) => {
      w.pinged.push(`${formatIpAddress(target)} ${bytes}${dontFragment ? ' DF' : ''}`);
      return bytes <= w.largestEcho;
    },
    dnsAnswers: async () => w.dns,
    interfaceMtu: async () => 1420,
    sleep: async () => {},
  };
}

async function diagnose(w: World, configOptions: Parameters<typeof clientConfig>[0] = {}) {
  const config = checkConfig(clientConfig(configOptions)).config!;
  const engine = new FakeEngine('wg0', []);
  engine.lastHandshakeSec = w.recentHandshake ? NOW / 1000 - 30 : undefined;
  engine.handshakeNow = () => {
    if (w.handshakeWhenAsked) engine.lastHandshakeSec = NOW / 1000;
    return 1;
  };
  await engine.configure({
    replacePeers: true,
    peers: config.peers.map((peer) => ({
      publicKey: peer.publicKey,
      remove: false,
      updateOnly: false,
      replaceAllowedIps: true,
      allowedIps: [],
    })),
  });
  const subject: DoctorSubject = { name: 'wg0', config, engine, publicKey: new Uint8Array(32).fill(7) };
  return new ConnectionDoctor(probes(w), () => NOW).diagnose(subject);
}

test('a working tunnel: every check passes, the verdict is ok', async () => {
  const d = await diagnose(world());
  assert.equal(d.cause, 'ok');
  assert.ok(d.evidence.includes('every check passed'));
});

test('the endpoint name does not resolve', async () => {
  const d = await diagnose(world({ resolves: false }), { endpoint: 'vpn.invalid:51820' });
  assert.equal(d.cause, 'endpoint-unresolved');
  assert.match(d.summary, /vpn\.invalid does not resolve/);
});

test('no route to the endpoint', async () => {
  const d = await diagnose(world({ route: 'Network is unreachable' }));
  assert.equal(d.cause, 'no-route');
  assert.match(d.summary, /198\.51\.100\.1: Network is unreachable/);
});

test('no handshake and the port refused: the server is down or the port wrong', async () => {
  const d = await diagnose(world({ recentHandshake: false, handshakeWhenAsked: false, icmp: 'ECONNREFUSED' }));
  assert.equal(d.cause, 'endpoint-refused');
  assert.match(d.advice, /not running, or the port is wrong/);
});

test('no handshake and silence: a firewall, or the server does not know our key (which is shown)', async () => {
  const d = await diagnose(world({ recentHandshake: false, handshakeWhenAsked: false }));
  assert.equal(d.cause, 'no-reply');
  assert.match(d.advice, /firewall/);
  assert.ok(d.advice.includes(Buffer.alloc(32, 7).toString('base64')));
  assert.equal(d.publicKey, Buffer.alloc(32, 7).toString('base64'));
});

test('a handshake that completes when asked is no fault', async () => {
  const d = await diagnose(world({ recentHandshake: false }));
  assert.equal(d.cause, 'ok');
  assert.ok(d.evidence.includes('a handshake completed when asked'));
});

test('handshakes work but nothing comes back', async () => {
  const d = await diagnose(world({ largestEcho: 0 }));
  assert.equal(d.cause, 'no-data-returned');
  assert.match(d.advice, /AllowedIPs for this peer.*10\.200\.0\.2/);
});

test('large packets lost, small ones pass: the MTU that works is found and suggested', async () => {
  const w = world({ largestEcho: 1300 });
  const d = await diagnose(w);
  assert.equal(d.cause, 'mtu-black-hole');
  assert.ok(d.suggestedMtu! <= 1300 && d.suggestedMtu! > 1300 - 8, `suggested ${d.suggestedMtu}`);
  assert.ok(
    w.pinged.slice(1).every((line) => line.endsWith(' DF')),
    'every size probe forbids fragmenting',
  );
});

test('DNS through the tunnel does not answer', async () => {
  const d = await diagnose(world({ dns: false }));
  assert.equal(d.cause, 'dns-no-answer');
  assert.match(d.summary, /10\.200\.0\.1 does not answer/);
});

test('a tunnel that is not up is said to be so, after its name is checked', async () => {
  const config = checkConfig(clientConfig()).config!;
  const d = await new ConnectionDoctor(probes(world()), () => NOW).diagnose({ name: 'wg0', config, error: 'boom' });
  assert.equal(d.cause, 'not-active');
  assert.match(d.summary, /boom/);
});

test('ping target: a routed DNS server, else the first host of the tunnel network', () => {
  const target = (text: string) => {
    const found = pingTarget(checkConfig(text).config!);
    return found ? formatIpAddress(found) : undefined;
  };
  assert.equal(target(clientConfig()), '10.200.0.1');
  assert.equal(
    target(
      clientConfig().replace('DNS = 10.200.0.1\n', '').replace('Address = 10.200.0.2/32', 'Address = 10.200.0.7/24'),
    ),
    '10.200.0.1',
  );
  assert.equal(target(clientConfig({ allowedIps: '0.0.0.0/0' }).replace('DNS = 10.200.0.1\n', '')), undefined);
});

test('watchdog: a diagnosis once a tunnel has had no handshake for 10 s, once per episode', async () => {
  let now = NOW;
  const asked: string[] = [];
  const handshake: { at?: number } = {};
  const watchdog = new DoctorWatchdog(
    {
      stats: () => [
        {
          tunnel: 'wg0',
          at: now,
          listenPort: 1,
          peers: [
            {
              publicKey: 'k',
              rxBytes: 0,
              txBytes: 100,
              allowedIps: [],
              ...(handshake.at ? { latestHandshake: handshake.at } : {}),
            },
          ],
        },
      ],
      diagnose: async (name) => void asked.push(name),
    },
    () => now,
  );
  assert.deepEqual(watchdog.tick(), []);
  now += 9_999;
  assert.deepEqual(watchdog.tick(), []);
  now += 1;
  assert.deepEqual(watchdog.tick(), ['wg0']);
  now += 5_000;
  assert.deepEqual(watchdog.tick(), [], 'once per episode');
  handshake.at = now;
  assert.deepEqual(watchdog.tick(), [], 'a handshake re-arms it');
  now += 190_000;
  assert.deepEqual(watchdog.tick(), [], 'stale, but nothing sent since');
  assert.deepEqual(asked, ['wg0']);
});

test('tunnel manager: one doctor per tunnel at a time; a second request shares the first one verdict', async () => {
  const { FakeSystem } = await import('./support/service-fakes.js');
  const system = new FakeSystem();
  let runs = 0;
  let finish: (() => void) | undefined;
  const doctor = {
    diagnose: async () => {
      runs++;
      await new Promise<void>((resolve) => (finish = resolve));
      return { tunnel: 'wg0', at: 1, cause: 'ok' as const, summary: 's', advice: 'a', evidence: [] };
    },
  } as unknown as ConnectionDoctor;
  const manager = system.manager(false, undefined, undefined, doctor);
  await manager.up({ name: 'wg0', configText: clientConfig() });
  const first = manager.diagnose('wg0');
  const second = manager.diagnose('wg0');
  await new Promise((resolve) => setImmediate(resolve));
  finish!();
  assert.equal(await first, await second);
  assert.equal(runs, 1);
});
