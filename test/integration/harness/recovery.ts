// How long a tunnel takes to carry traffic again after something happened to
// the network: one echo at a time, each given a second, until one is answered.
import assert from 'node:assert/strict';
import { ping } from './ping.js';
import type { Namespace } from './namespace.js';

/** Pings `address` from `ns` until a reply; returns the milliseconds since `since`, failing past `limitMs`. */
export async function timeToRecover(ns: Namespace, address: string, since: number, limitMs: number): Promise<number> {
  for (;;) {
    const result = await ping(ns, address, { count: 1, replyWaitSeconds: 1 });
    const elapsed = Date.now() - since;
    if (result.received === 1) return elapsed;
    assert.ok(elapsed < limitMs, `no reply from ${address} within ${limitMs} ms`);
  }
}
