// Leak tests as Mullvad's test suite does them: in every state of a tunnel and
// of the helper, probes from the client namespace (TCP, UDP, ICMP and DNS, to
// an address outside the tunnel and to one on the LAN) are sent outside the
// tunnel, and a capture of the client's physical interface (veth1) must show
// none of them leaving where none may. The tunnel's own encrypted UDP is left
// out of the capture. First, with no kill switch at all, every probe must show
// up in the capture: the test can see a leak.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { runProcess } from '../../helper/src/os/command.js';
import type { BackgroundProcess } from './harness/background.js';
import { inNamespace } from './harness/exec.js';
import {
  SERVER_LAN,
  SERVER_PORT,
  SERVER_TUNNEL,
  interfaceNameOf,
  withClientServer,
  type ClientServer,
} from './harness/client-server.js';
import { ping } from './harness/ping.js';
import { timeToRecover } from './harness/recovery.js';
import { RootHelper } from './harness/root-helper.js';
import { CommandError } from './harness/exec.js';

/** Outside the tunnel and outside every LAN range: on the server's loopback, routed by its LAN address. */
const INTERNET = '203.0.113.1';
const CAPTURE_SETTLE_MS = 300;

type Probe = { readonly kind: 'tcp' | 'udp' | 'icmp' | 'dns'; readonly to: string };
const PROBES: readonly Probe[] = (['tcp', 'udp', 'icmp', 'dns'] as const).flatMap((kind) => [
  { kind, to: INTERNET },
  { kind, to: SERVER_LAN },
]);

class Capture {
  private constructor(private readonly tcpdump: BackgroundProcess) {}

  static async start(s: ClientServer): Promise<Capture> {
    const tcpdump = s.client.spawn('tcpdump', [
      '-i',
      'veth1',
      '-nn',
      '-l',
      '-U',
      '-p',
      `ip and not (udp port ${SERVER_PORT})`,
    ]);
    const deadline = Date.now() + 10_000;
    while (!tcpdump.log().includes('listening on veth1')) {
      if (tcpdump.hasExited || Date.now() > deadline) throw new Error(`tcpdump did not start:\n${tcpdump.log()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return new Capture(tcpdump);
  }

  get length(): number {
    return this.tcpdump.log().length;
  }

  since(offset: number): string {
    return this.tcpdump.log().slice(offset);
  }
}

let round = 0;

/** Sends every probe once and returns which of them the capture saw leave. */
async function probe(s: ClientServer, capture: Capture): Promise<string[]> {
  round += 1;
  const tcpPort = 40_000 + round * 10;
  const udpPort = tcpPort + 1;
  const dnsSource = 50_000 + round;
  const icmpPayload = 100 + round;
  const from = capture.length;
  const run = (cmd: string, args: string[], input?: string) =>
    runProcess(inNamespace(s.client.name, cmd, args), { ...(input ? { input } : {}), timeoutMs: 5_000 });
  // All at once: the capture tells them apart by port and size.
  await Promise.all(
    PROBES.map(({ kind, to }) => {
      if (kind === 'tcp') return run('ncat', ['-z', '-w', '1', to, String(tcpPort)]);
      if (kind === 'udp') return run('ncat', ['-u', '-w', '1', '--send-only', to, String(udpPort)], 'leak\n');
      if (kind === 'dns')
        return run('ncat', ['-u', '-w', '1', '--send-only', '-p', String(dnsSource), to, '53'], 'leak\n');
      return run('ping', ['-n', '-c', '1', '-W', '1', '-s', String(icmpPayload), to]);
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, CAPTURE_SETTLE_MS));
  const seen = capture.since(from);
  return PROBES.filter(({ kind, to }) => {
    const escaped = to.replaceAll('.', '\\.');
    const pattern =
      kind === 'tcp'
        ? new RegExp(`> ${escaped}\\.${tcpPort}: Flags \\[S\\]`)
        : kind === 'udp'
          ? new RegExp(`> ${escaped}\\.${udpPort}: UDP`)
          : kind === 'dns'
            ? new RegExp(`\\.${dnsSource} > ${escaped}\\.53:`)
            : new RegExp(`> ${escaped}: ICMP echo request, id \\d+, seq \\d+, length ${icmpPayload + 8}`);
    return pattern.test(seen);
  }).map(({ kind, to }) => `${kind} to ${to}`);
}

async function assertNoLeak(t: TestContext, s: ClientServer, capture: Capture, state: string): Promise<void> {
  const started = Date.now();
  const leaked = await probe(s, capture);
  t.diagnostic(`(probes took ${Date.now() - started} ms)`);
  t.diagnostic(`${state}: ${leaked.length === 0 ? 'nothing left veth1' : `leaked ${leaked.join(', ')}`}`);
  assert.deepEqual(leaked, [], `${state}: probes left the physical interface`);
}

function fullTunnel(s: ClientServer): string {
  return s.writeConfig({ endpoint: `${SERVER_LAN}:${SERVER_PORT}`, allowedIps: '0.0.0.0/0' });
}

async function withLeakLab(t: TestContext, body: (s: ClientServer, capture: Capture) => Promise<void>): Promise<void> {
  await withClientServer(t, async (s) => {
    await s.server.exec('ip', ['addr', 'add', `${INTERNET}/32`, 'dev', 'lo']);
    // Every DNS lookup the helper makes fails at once here (nothing listens), and never reaches the host's resolver.
    s.useResolver('127.0.0.1');
    const capture = await Capture.start(s);
    const baseline = await probe(s, capture);
    t.diagnostic(`no kill switch: ${baseline.join(', ')} left veth1`);
    assert.deepEqual(
      baseline,
      PROBES.map(({ kind, to }) => `${kind} to ${to}`),
      'the capture sees every probe',
    );
    await body(s, capture);
  });
}

test('always on: nothing leaks at boot, connecting, connected, failed, helper killed or stopped', (t) =>
  withLeakLab(t, async (s, capture) => {
    let helper = await s.startHelper();
    await helper.cli(['killswitch', 'always-on']);
    await assertNoLeak(t, s, capture, 'always on, no tunnel');

    // A reboot: the kernel forgets the table, the service starts the helper, which loads it before serving.
    process.kill(helper.process.pid, 'SIGKILL');
    await helper.process.exited;
    await s.client.exec('nft', ['delete', 'table', 'inet', 'wirefly-lockdown-0']);
    helper = await RootHelper.start(s.lab, s.client);
    s.helper = helper;
    await assertNoLeak(t, s, capture, 'just booted with always on');

    const config = fullTunnel(s);
    await helper.cli(['up', config]);
    await assertNoLeak(t, s, capture, 'connecting (the server does not answer)');

    await s.startServer();
    await timeToRecover(s.client, SERVER_TUNNEL, Date.now(), 10_000);
    await assertNoLeak(t, s, capture, 'connected');

    await helper.cli(['down', interfaceNameOf(config)]);
    const failing = s.writeConfig({ endpoint: `nowhere.lab.test:${SERVER_PORT}`, allowedIps: '0.0.0.0/0' });
    await assert.rejects(helper.cli(['up', failing]), (error: unknown) => error instanceof CommandError);
    await assertNoLeak(t, s, capture, 'tunnel failed to come up');

    await helper.cli(['up', config]);
    await timeToRecover(s.client, SERVER_TUNNEL, Date.now(), 10_000);
    process.kill(helper.process.pid, 'SIGKILL');
    await helper.process.exited;
    await assertNoLeak(t, s, capture, 'helper killed with -9');

    helper = await RootHelper.start(s.lab, s.client);
    s.helper = helper;
    await helper.process.stop();
    await assertNoLeak(t, s, capture, 'helper stopped');
  }));

test('always on with the LAN allowed: the LAN is reachable (but not its DNS), the rest is not', (t) =>
  withLeakLab(t, async (s, capture) => {
    const helper = await s.startHelper();
    await helper.cli(['killswitch', 'always-on', '--allow-lan']);
    const lanOnly = ['tcp to 10.99.1.2', 'udp to 10.99.1.2', 'icmp to 10.99.1.2'];
    for (const state of ['no tunnel', 'connected']) {
      if (state === 'connected') {
        await s.startServer();
        await helper.cli(['up', fullTunnel(s)]);
        await timeToRecover(s.client, SERVER_TUNNEL, Date.now(), 10_000);
        assert.equal((await ping(s.client, SERVER_TUNNEL)).received, 1);
      }
      const leaked = await probe(s, capture);
      t.diagnostic(`allow LAN, ${state}: ${leaked.join(', ')} left veth1`);
      assert.deepEqual(leaked, lanOnly, `allow LAN, ${state}`);
    }
  }));
