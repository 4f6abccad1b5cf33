// A Wirefly server under a handshake flood (initiations with a valid MAC1 from
// thousands of spoofed sources, test/integration/harness/flood.ts): the tunnel
// it already has keeps carrying data, new peers still get their handshakes
// done during the flood (a cookie, then MAC2) and after it, and its memory
// stays flat. How much throughput it keeps is the bench's to measure.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { addLateClient, HandshakeFlood, timeFirstHandshake } from './harness/flood.js';
import { withLab } from './harness/lab.js';
import { createTunnelPair } from './harness/pair.js';
import { tcpTransfer } from './harness/transfer.js';
import { wirefly, wireguardGo } from './harness/wireguard.js';

const FLOOD = { rate: 20_000, seconds: 10 };
/** A Wirefly initiator sends again as soon as the cookie comes. */
const WIREFLY_HANDSHAKE_LIMIT_MS = 5_000;
/** wireguard-go waits for its retransmit timer: REKEY_TIMEOUT (5 s) and up to a third of a second of jitter. */
const WIREGUARD_GO_HANDSHAKE_LIMIT_MS = 5_000 + 334 + 1_000;
/** Growth allowed over the flood's last seconds: memory must not grow with the flood's length. */
const MEMORY_GROWTH_LIMIT_MB = 4;
const TRANSFER_BYTES = 16 * 1000 * 1000;

function residentMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('under a flood of 20,000 initiations a second, a Wirefly server keeps its tunnel, lets new peers in, and stays at its size', (t) =>
  withLab(t, async (lab) => {
    const pair = await createTunnelPair(lab, wirefly, wirefly);
    const flood = await HandshakeFlood.prepare(lab, pair.b);
    const lateWirefly = await addLateClient(lab, wirefly, pair.b, '10.77.0.3');
    const lateWireguardGo = await addLateClient(lab, wireguardGo, pair.b, '10.77.0.4');
    const afterFlood = await addLateClient(lab, wirefly, pair.b, '10.77.0.5');
    await tcpTransfer(pair.a.ns, pair.b.ns, pair.b.tunnelV4, { bytes: 1_000_000 });
    const flooding = flood.start(FLOOD);
    await sleep(500);
    const carried = await tcpTransfer(pair.a.ns, pair.b.ns, pair.b.tunnelV4, { bytes: TRANSFER_BYTES });
    const wireflyMs = await timeFirstHandshake(lateWirefly, 10);
    const wireguardGoMs = await timeFirstHandshake(lateWireguardGo, 10);
    // From here to its end the flood runs alone: what memory it takes, it takes per initiation.
    const memoryEarly = residentMb(pair.b.daemon.pid);
    const sent = await flooding.sent;
    const memoryAfter = residentMb(pair.b.daemon.pid);
    t.diagnostic(
      `flood: ${sent} initiations; new peers' handshakes: Wirefly ${wireflyMs?.toFixed(0)} ms, wireguard-go ${wireguardGoMs?.toFixed(0)} ms`,
    );
    t.diagnostic(
      `server memory after the transfer and the handshakes ${memoryEarly.toFixed(0)} MB, at the flood's end ${memoryAfter.toFixed(0)} MB`,
    );

    assert.equal(sent, FLOOD.rate * FLOOD.seconds, 'the whole flood was sent');
    assert.equal(
      carried.receivedSha256,
      carried.sentSha256,
      'the established tunnel carried data intact through the flood',
    );
    assert.ok(
      wireflyMs !== undefined && wireflyMs < WIREFLY_HANDSHAKE_LIMIT_MS,
      `a new Wirefly peer got in during the flood (${wireflyMs} ms)`,
    );
    assert.ok(
      wireguardGoMs !== undefined && wireguardGoMs < WIREGUARD_GO_HANDSHAKE_LIMIT_MS,
      `a new wireguard-go peer got in during the flood on its retransmit (${wireguardGoMs} ms)`,
    );
    assert.ok(
      memoryAfter - memoryEarly < MEMORY_GROWTH_LIMIT_MB,
      `memory grew ${(memoryAfter - memoryEarly).toFixed(1)} MB during the flood`,
    );

    // "Under load" outlasts the flood by a second.
    await sleep(1_500);
    const afterMs = await timeFirstHandshake(afterFlood, 10);
    assert.ok(afterMs !== undefined && afterMs < 1_000, `a new peer after the flood: ${afterMs} ms, no cookie needed`);
  }));
