// 100,000 peers on a Wirefly server, given in one `wg setconf` (past
// wireguard-go's own limit of 65,536) and 99,999 of them taken away in one set
// request over the control socket. setconf replaces every peer, the real
// client's too, whose session therefore starts anew (as wg(8) says, unlike
// syncconf); the removal leaves it alone, and its pings go on through it.
// Idle in between, the server uses no CPU.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { cpuSeconds } from '../bench/measure.js';
import { withLab } from './harness/lab.js';
import { removalLines, uapiSet, writeManyPeers } from './harness/many-peers.js';
import { createTunnelPair } from './harness/pair.js';
import { ping } from './harness/ping.js';
import { wireguardGo, wirefly } from './harness/wireguard.js';

const PEERS = 100_000;
const IDLE_SECONDS = 3;
/** What the server may take while idle with all of them: the timer of the one real session at most. */
const IDLE_CPU_LIMIT = 0.02;
const RESIDENT_LIMIT_MB = 400;

function residentMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

async function peerCount(ns: Parameters<typeof ping>[0], ifname: string): Promise<number> {
  return (await ns.exec('wg', ['show', ifname, 'peers'], { timeoutMs: 60_000 })).split('\n').filter(Boolean).length;
}

test(`a Wirefly server takes ${PEERS} peers in one setconf and drops all but one in one request, its tunnel working throughout`, (t) =>
  withLab(t, async (lab) => {
    const pair = await createTunnelPair(lab, wireguardGo, wirefly);
    const server = pair.b;
    const many = writeManyPeers(lab, server, pair.a, PEERS);
    assert.equal((await ping(pair.a.ns, server.tunnelV4, { count: 3 })).received, 3);

    const start = performance.now();
    await server.ns.exec('wg', ['setconf', server.ifname, many.configFile], { timeoutMs: 120_000 });
    const setconfSeconds = (performance.now() - start) / 1000;
    t.diagnostic(
      `setconf of ${PEERS + 1} peers: ${setconfSeconds.toFixed(2)} s, server resident ${residentMb(server.daemon.pid).toFixed(0)} MB`,
    );
    assert.equal(await peerCount(server.ns, server.ifname), PEERS + 1);
    assert.ok(residentMb(server.daemon.pid) < RESIDENT_LIMIT_MB, `${residentMb(server.daemon.pid).toFixed(0)} MB`);
    assert.equal(
      (await ping(server.ns, pair.a.tunnelV4, { count: 3, deadlineSeconds: 10 })).received,
      3,
      'a new session with the real client',
    );

    const cpuBefore = cpuSeconds(server.daemon.pid);
    await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
    const idle = (cpuSeconds(server.daemon.pid) - cpuBefore) / IDLE_SECONDS;
    t.diagnostic(`idle with them all: ${(idle * 100).toFixed(1)}% of a core`);
    assert.ok(idle <= IDLE_CPU_LIMIT, `idle CPU ${(idle * 100).toFixed(1)}%`);

    // Pings every 50 ms while the server takes the removal in: each answered, however late (a loaded machine delays some).
    let removal = -1;
    const [, pingsDuringRemoval] = await Promise.all([
      uapiSet(server.ifname, removalLines(many.publicKeysHex)).then((errno) => (removal = errno)),
      ping(pair.a.ns, server.tunnelV4, { count: 30, intervalSeconds: 0.05, replyWaitSeconds: 5 }),
    ]);
    assert.equal(removal, 0, 'the removal is answered errno=0');
    assert.equal(await peerCount(server.ns, server.ifname), 1, 'the real client is the one left');
    assert.equal(pingsDuringRemoval.received, pingsDuringRemoval.transmitted, 'every ping answered during the removal');
  }));
