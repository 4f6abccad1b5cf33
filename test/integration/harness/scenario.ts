// What the netns.sh scenario tests share: the pairs of implementations they
// run, how they name them, and a ping that must be answered.
import assert from 'node:assert/strict';
import type { TunnelSide } from './pair.js';
import { ping } from './ping.js';
import { wirefly, wireguardGo, type WireGuardImplementation } from './wireguard.js';

export type Pair = readonly [WireGuardImplementation, WireGuardImplementation];

/** Wirefly against wireguard-go in both roles. */
export const WIREFLY_AND_WIREGUARD_GO: readonly Pair[] = [
  [wirefly, wireguardGo],
  [wireguardGo, wirefly],
];

/** Seconds a ping that should be answered may take, a handshake included. */
export const ANSWER_SECONDS = 3;

export function describePair([a, b]: Pair): string {
  return `${a.label} (a) ↔ ${b.label} (b)`;
}

/**
 * Pings until a reply comes, within ANSWER_SECONDS. Echoes sent while the first
 * was on its way may be answered too, so more than one may count as received.
 */
export async function assertAnswered(from: TunnelSide, address: string, what: string): Promise<void> {
  const result = await ping(from.ns, address, { count: 1, deadlineSeconds: ANSWER_SECONDS });
  assert.ok(result.received >= 1, `${what}: ${from.implementation}'s ping of ${address} got no reply`);
}
