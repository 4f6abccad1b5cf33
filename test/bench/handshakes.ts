// Handshakes per second one responder completes on one core: initiations from
// many peers, prepared beforehand, consumed and answered by one Device. Time is
// the CPU time of the thread doing it, so that neither other work on a shared
// machine nor V8's compiler threads count against the responder.
import { readFileSync } from 'node:fs';
import { engineCrypto } from '../../helper/src/crypto/provider.js';
import { Device } from '../../helper/src/engine/device.js';
import { sendInitiation } from '../../helper/src/engine/send.js';
import { generatePrivateKey } from '../../helper/src/crypto/x25519.js';
import type { Endpoint } from '../../helper/src/net/ip.js';

const RESPONDER: Endpoint = { family: 4, bytes: Uint8Array.of(192, 0, 2, 1), port: 51820 };
/** Rounds not counted: until then V8 is still compiling the handshake's code. */
const WARM_UP_ROUNDS = 3;
const CLOCK_TICKS_PER_SECOND = 100;
const RECEIVE_BATCH = 64;

/** This thread's user + system CPU time in ms (Linux, 10 ms ticks); the process's elsewhere. */
function threadCpuMs(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  }
}

export function measureHandshakesPerSecond(peers = 200, rounds = 15): number {
  let time = 1_000_000;
  const clock = { now: () => time, wallClock: () => 1_700_000_000_000 + time };
  let responses = 0;
  const responder = new Device({
    ...engineCrypto(),
    clock,
    output: { sendDatagrams: (datagrams) => (responses += datagrams.length), writePackets: () => {} },
  });
  const responderKey = generatePrivateKey();
  responder.setPrivateKey(responderKey.raw);

  // Every round's initiations are made first, so that one span of the responder's work is timed.
  let round: { datagram: Uint8Array; source: Endpoint }[] = [];
  const initiators = Array.from({ length: peers }, (_, i) => {
    const source: Endpoint = { family: 4, bytes: Uint8Array.of(198, 51, (i >> 8) & 0xff, i & 0xff), port: 40000 };
    const device = new Device({
      ...engineCrypto(),
      clock,
      output: {
        sendDatagrams: ([datagram]) => round.push({ datagram: Uint8Array.from(datagram!), source }),
        writePackets: () => {},
      },
    });
    const key = generatePrivateKey();
    device.setPrivateKey(key.raw);
    const peer = device.addPeer(responderKey.publicKey)!;
    peer.endpoint = RESPONDER;
    responder.addPeer(key.publicKey);
    return { device, peer };
  });
  // Far enough apart for fresh timestamps and past the per-peer rate limits.
  const ROUND_INTERVAL = 6_000;
  const start = time;
  const batches: (typeof round)[] = [];
  for (let r = 0; r < WARM_UP_ROUNDS + rounds; r++) {
    time = start + (r + 1) * ROUND_INTERVAL;
    round = [];
    for (const { device, peer } of initiators) sendInitiation(device, peer, false);
    batches.push(round);
  }

  const answer = (r: number) => {
    time = start + (r + 1) * ROUND_INTERVAL;
    // In wake-ups of a receive batch each, as the runtime delivers them: so many at once would be a backlog, and load.
    batches[r]!.forEach(({ datagram, source }, i) => {
      responder.handleDatagram(datagram, source);
      if (i % RECEIVE_BATCH === RECEIVE_BATCH - 1) responder.flush();
    });
    responder.flush();
  };
  for (let r = 0; r < WARM_UP_ROUNDS; r++) answer(r);
  const started = threadCpuMs();
  for (let r = WARM_UP_ROUNDS; r < batches.length; r++) answer(r);
  const busyMs = threadCpuMs() - started;
  const handshakes = peers * rounds;
  if (responses !== peers * (WARM_UP_ROUNDS + rounds))
    throw new Error(`${responses} responses to ${peers * (WARM_UP_ROUNDS + rounds)} initiations`);
  const completed = [...responder.peers].filter((peer) => peer.keypairs.next || peer.keypairs.current).length;
  if (completed !== peers) throw new Error(`only ${completed} of ${peers} handshakes completed`);
  return handshakes / (busyMs / 1000);
}
