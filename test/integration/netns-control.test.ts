// The netns.sh scenarios of the control socket and of cleaning up: 255 × 256
// × 2 allowed IPs in one configuration, the peer layouts that split wg's
// replies, and every object gone at the end: peers removed, interfaces deleted
// (also from inside namespaces they were moved to, which are then deleted), the
// daemon exiting by itself and its control socket removed, a large table
// leaving nothing behind once removed.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { showDump } from './harness/dump.js';
import { withLab, type Lab } from './harness/lab.js';
import { createLoopbackPair } from './harness/loopback-pair.js';
import type { Namespace } from './harness/namespace.js';
import { ping } from './harness/ping.js';
import { waitFor } from './harness/wait.js';
import { generateKeyPair } from './harness/wg.js';
import {
  uapiSocketPath,
  wirefly,
  wireguardGo,
  type WireGuardDaemon,
  type WireGuardImplementation,
} from './harness/wireguard.js';

/** netns.sh's table: a /16 and a /128 for every a in 1..255 and b in 0..255. */
function largeTable(): string[] {
  const entries: string[] = [];
  for (let a = 1; a <= 255; a++) {
    // As wg prints them: `1::0` is `1::`.
    for (let b = 0; b <= 255; b++) entries.push(`${a}.${b}.0.0/16`, b === 0 ? `${a}::/128` : `${a}::${b}/128`);
  }
  return entries;
}

const LARGE_TABLE_ENTRIES = 255 * 256 * 2;

let configs = 0;
function writeConfig(lab: Lab, lines: readonly string[]): string {
  configs += 1;
  const file = join(lab.dir, `config-${configs}.conf`);
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

/** `wg show IFNAME allowed-ips`: one line per peer, its key and then its allowed IPs. */
async function allowedIpLines(ns: Namespace, ifname: string): Promise<string[][]> {
  const text = (await ns.exec('wg', ['show', ifname, 'allowed-ips'])).trimEnd();
  return text.split('\n').map((line) => line.split(/\s+/));
}

async function startDaemon(
  lab: Lab,
  implementation: WireGuardImplementation,
): Promise<{ ns: Namespace; ifname: string; daemon: WireGuardDaemon }> {
  const ns = await lab.namespace();
  const ifname = lab.tunnelInterfaceName();
  return { ns, ifname, daemon: await implementation.start(ns, ifname) };
}

for (const implementation of [wirefly, wireguardGo]) {
  describe(`${implementation.label}: configurations that split wg's replies`, () => {
    test(`${LARGE_TABLE_ENTRIES} allowed IPs for one peer beside a live tunnel; the tunnel still carries pings`, (t) =>
      withLab(t, async (lab) => {
        const { a, b } = await createLoopbackPair(lab, implementation, wireguardGo);
        const crowded = await generateKeyPair(lab.dir);
        const table = largeTable();
        const started = performance.now();
        await a.ns.exec('wg', [
          'addconf',
          a.ifname,
          writeConfig(lab, ['[Peer]', `PublicKey = ${crowded.publicKey}`, `AllowedIPs = ${table.join(', ')}`]),
        ]);
        const lines = await allowedIpLines(a.ns, a.ifname);
        t.diagnostic(
          `set and listed ${LARGE_TABLE_ENTRIES} allowed IPs in ${((performance.now() - started) / 1000).toFixed(1)} s`,
        );
        const crowdedLine = lines.find((line) => line[0] === crowded.publicKey);
        assert.equal(crowdedLine?.length, LARGE_TABLE_ENTRIES + 1);
        assert.deepEqual(new Set(crowdedLine!.slice(1)), new Set(table));
        const result = await ping(a.ns, b.tunnelV4, { count: 3, deadlineSeconds: 5 });
        assert.ok(result.received >= 3, 'the tunnel beside the large table');
      }));

    test('40 peers of 52 allowed IPs; 30 peers of which only the last has allowed IPs; 197 for a second peer', (t) =>
      withLab(t, async (lab) => {
        const { ns, ifname } = await startDaemon(lab, implementation);
        const manyPeers = ['[Interface]', `PrivateKey = ${(await generateKeyPair(lab.dir)).privateKey}`];
        for (let a = 1; a <= 40; a++) {
          manyPeers.push('[Peer]', `PublicKey = ${(await generateKeyPair(lab.dir)).publicKey}`);
          for (let b = 1; b <= 52; b++) manyPeers.push(`AllowedIPs = ${a}.${b}.0.0/16`);
        }
        await ns.exec('wg', ['setconf', ifname, writeConfig(lab, manyPeers)]);
        const lines = await allowedIpLines(ns, ifname);
        assert.equal(lines.length, 40);
        for (const line of lines) assert.equal(line.length, 53);

        const mostlyEmpty: string[] = [];
        for (let i = 1; i <= 29; i++)
          mostlyEmpty.push('[Peer]', `PublicKey = ${(await generateKeyPair(lab.dir)).publicKey}`);
        mostlyEmpty.push(
          '[Peer]',
          `PublicKey = ${(await generateKeyPair(lab.dir)).publicKey}`,
          'AllowedIPs = 255.2.3.4/32, abcd::255/128',
        );
        await ns.exec('wg', ['setconf', ifname, writeConfig(lab, mostlyEmpty)]);
        const shown = await ns.exec('wg', ['showconf', ifname]);
        assert.equal(shown.match(/^\[Peer\]$/gm)?.length, 30);
        assert.equal(shown.match(/^AllowedIPs = /gm)?.length, 1);

        await ns.exec('wg', ['setconf', ifname, writeConfig(lab, ['[Interface]'])]);
        const first = await generateKeyPair(lab.dir);
        const second = await generateKeyPair(lab.dir);
        const many = Array.from({ length: 197 }, (_, i) => `abcd::${i + 1}`);
        await ns.exec('wg', ['set', ifname, 'peer', first.publicKey]);
        await ns.exec('wg', ['set', ifname, 'peer', second.publicKey, 'allowed-ips', many.join(',')]);
        const byPeer = new Map((await allowedIpLines(ns, ifname)).map((line) => [line[0], line.slice(1)]));
        assert.deepEqual(byPeer.get(first.publicKey), ['(none)']);
        assert.equal(byPeer.get(second.publicKey)?.length, 197);
        await assert.rejects(
          ns.exec('wg', ['show', `${ifname}x`]),
          'wg show of an interface that does not exist fails',
        );
      }));
  });
}

function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

const TABLE_CYCLES = 4;

describe(`${wirefly.label}: every object freed at the end`, () => {
  test('peers removed leave nothing; deleting the interface ends the daemon, which removes its socket', (t) =>
    withLab(t, async (lab) => {
      const { hub, a, b } = await createLoopbackPair(lab, wirefly, wirefly);
      assert.ok((await ping(a.ns, b.tunnelV4, { count: 2, deadlineSeconds: 5 })).received >= 2);
      for (const [self, other] of [
        [a, b],
        [b, a],
      ] as const) {
        await hub.exec('wg', ['set', self.ifname, 'peer', other.keys.publicKey, 'remove']);
        assert.deepEqual((await showDump(hub, self.ifname)).peers, []);
      }
      await a.ns.exec('ip', ['link', 'del', a.ifname]);
      const exit = await a.daemon.process.exited;
      assert.deepEqual(exit, { code: 0, signal: null }, 'the daemon exits by itself once its interface is gone');
      assert.ok(!existsSync(uapiSocketPath(a.ifname)), 'and removes its control socket');
    }));

  test("interfaces moved into each other's namespace, then both namespaces deleted: both daemons end cleanly", (t) =>
    withLab(t, async (lab) => {
      const { a, b } = await createLoopbackPair(lab, wirefly, wirefly);
      assert.ok((await ping(a.ns, b.tunnelV4, { count: 1, deadlineSeconds: 5 })).received >= 1);
      await a.ns.exec('ip', ['link', 'set', a.ifname, 'netns', b.ns.name]);
      await b.ns.exec('ip', ['link', 'set', b.ifname, 'netns', a.ns.name]);
      await lab.deleteNamespace(a.ns);
      await lab.deleteNamespace(b.ns);
      for (const side of [a, b]) {
        assert.deepEqual(await side.daemon.process.exited, { code: 0, signal: null }, `${side.ifname}'s daemon`);
        assert.ok(!existsSync(uapiSocketPath(side.ifname)), `${side.ifname}'s control socket`);
      }
    }));

  // Resident memory is shown, not asserted: when V8 collects and returns pages
  // varies from run to run by more than a table's size.
  test(`a ${LARGE_TABLE_ENTRIES}-entry table added and removed ${TABLE_CYCLES} times leaves nothing behind`, (t) =>
    withLab(t, async (lab) => {
      const { ns, ifname, daemon } = await startDaemon(lab, wirefly);
      const file = writeConfig(lab, [
        '[Peer]',
        `PublicKey = ${(await generateKeyPair(lab.dir)).publicKey}`,
        `AllowedIPs = ${largeTable().join(', ')}`,
      ]);
      const empty = writeConfig(lab, ['[Interface]']);
      const resident: number[] = [];
      for (let cycle = 0; cycle < TABLE_CYCLES; cycle++) {
        await ns.exec('wg', ['setconf', ifname, file]);
        assert.equal((await allowedIpLines(ns, ifname))[0]!.length, LARGE_TABLE_ENTRIES + 1);
        await ns.exec('wg', ['setconf', ifname, empty]);
        assert.deepEqual((await showDump(ns, ifname)).peers, []);
        resident.push(residentBytes(daemon.pid));
      }
      t.diagnostic(
        `resident after each cycle: ${resident.map((bytes) => (bytes / 2 ** 20).toFixed(0)).join(', ')} MiB`,
      );
      await ns.exec('ip', ['link', 'del', ifname]);
      assert.deepEqual(await daemon.process.exited, { code: 0, signal: null });
      await waitFor('the control socket to go', () => !existsSync(uapiSocketPath(ifname)));
    }));
});
