// Handshakes per second one responder completes on one core: initiations from
// many peers, prepared beforehand, consumed and answered by one Device. Time is
// the process's CPU time, not the wall clock, so that other work on a shared
// machine does not count against the responder.
import { Device } from '../../helper/src/engine/device.js';
import { sendInitiation } from '../../helper/src/engine/send.js';
import { generatePrivateKey } from '../../helper/src/crypto/x25519.js';
import type { Endpoint } from '../../helper/src/net/ip.js';

const RESPONDER: Endpoint = { family: 4, bytes: Uint8Array.of(192, 0, 2, 1), port: 51820 };

export function measureHandshakesPerSecond(peers = 200, rounds = 5): number {
  let time = 1_000_000;
  const clock = { now: () => time, wallClock: () => 1_700_000_000_000 + time };
  const responder = new Device({ clock, output: { sendDatagrams: () => {}, writePackets: () => {} } });
  const responderKey = generatePrivateKey();
  responder.setPrivateKey(responderKey.raw);

  const initiations: { datagram: Uint8Array; source: Endpoint }[] = [];
  const initiators = Array.from({ length: peers }, (_, i) => {
    const source: Endpoint = { family: 4, bytes: Uint8Array.of(198, 51, (i >> 8) & 0xff, i & 0xff), port: 40000 };
    const device = new Device({
      clock,
      output: { sendDatagrams: ([datagram]) => initiations.push({ datagram: Uint8Array.from(datagram!), source }), writePackets: () => {} },
    });
    const key = generatePrivateKey();
    device.setPrivateKey(key.raw);
    const peer = device.addPeer(responderKey.publicKey)!;
    peer.endpoint = RESPONDER;
    responder.addPeer(key.publicKey);
    return { device, peer };
  });

  let handshakes = 0;
  let busyMs = 0;
  // Round 0 warms the JIT up and is not counted: compiling runs on other threads, which CPU time would include.
  for (let round = 0; round <= rounds; round++) {
    // Far enough apart for fresh timestamps and past the per-peer rate limits.
    time += 6_000;
    initiations.length = 0;
    for (const { device, peer } of initiators) sendInitiation(device, peer, false);
    const started = process.cpuUsage();
    for (const { datagram, source } of initiations) responder.handleDatagram(datagram, source);
    const used = process.cpuUsage(started);
    if (round === 0) continue;
    busyMs += (used.user + used.system) / 1000;
    handshakes += initiations.length;
  }
  const completed = [...responder.peers].filter((peer) => peer.keypairs.next || peer.keypairs.current).length;
  if (completed !== peers) throw new Error(`only ${completed} of ${peers} handshakes completed`);
  return handshakes / (busyMs / 1000);
}
