// A short run of the benchmark (npm run bench), so that it keeps working: every
// figure it reports is produced, Wirefly moves data both ways and UDP within one
// flow arrives in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTable, runBench } from '../bench/run.js';
import { wirefly, wireflyWithCryptoWorkers, wireguardGo } from './harness/wireguard.js';

test('the benchmark runs end to end and reports every figure', async (t) => {
  const results = await runBench({
    seconds: 2,
    rounds: 1,
    udpOfferedMbps: 50,
    mtus: [1500],
    pairs: [[wirefly, wireguardGo]],
    poolPairs: [[wireflyWithCryptoWorkers(2), wireguardGo]],
    ipv6Outer: false,
    log: (line) => t.diagnostic(line),
  });
  for (const line of formatTable(results).split('\n')) t.diagnostic(line);
  assert.ok(results.handshakesPerSecond > 0);
  const [row] = results.pairs;
  assert.ok(row, 'one pair measured');
  assert.ok(row.forward.gbps > 0 && row.reverse.gbps > 0, 'TCP both ways');
  assert.ok(row.forward.cpuSecondsPerGb > 0);
  assert.ok(row.udp && row.udp.deliveredGbps > 0);
  assert.equal(row.udp.outOfOrder, 0, 'no reordering within a UDP flow');
  assert.ok(row.addedLatencyMs !== undefined && row.addedLatencyMs < 50);
  assert.ok(row.wireflyPeakRssMb !== undefined && row.wireflyPeakRssMb > 10);
  const pool = results.pairs[1];
  assert.equal(pool?.pair, 'wirefly[2 crypto workers]↔wireguard-go');
  assert.ok(pool.forward.gbps > 0 && pool.reverse.gbps > 0, 'TCP both ways with crypto on worker threads');
  assert.equal(pool.udp?.outOfOrder, 0, 'no reordering through the pool');
});
