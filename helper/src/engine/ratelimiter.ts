// Per-source limits on the handshake messages the device answers while under load, as
// WireGuard does: a token bucket per source address, so one flooding host cannot
// starve the handshakes of others. Tokens are measured in milliseconds of credit:
// a packet costs PACKET_COST and credit accrues in real time, up to a burst.
//
// A source is an IPv4 address or an IPv6 /64, since a single IPv6 host commonly
// owns a whole /64 and could otherwise rotate addresses to escape its bucket.
import type { IpAddress } from '../net/ip.js';

export const PACKETS_PER_SECOND = 20;
export const PACKETS_BURSTABLE = 5;
/** Entries beyond this are refused rather than stored, to bound memory under a flood. */
export const RATELIMITER_MAX_ENTRIES = 4096;
/** Entries idle this long (ms) are dropped: their bucket has refilled long since. */
export const RATELIMITER_IDLE_TIMEOUT = 1000;

const PACKET_COST = 1000 / PACKETS_PER_SECOND;
const TOKEN_MAX = PACKET_COST * PACKETS_BURSTABLE;

interface Bucket {
  tokens: number;
  lastTime: number;
}

export class RateLimiter {
  private readonly buckets = new Map<number | string, Bucket>();
  private lastGc = -Infinity;

  /** Whether a handshake message from `source` at time `now` (ms) may be processed. */
  allow(source: IpAddress, now: number): boolean {
    if (now - this.lastGc >= RATELIMITER_IDLE_TIMEOUT) this.gc(now);
    const key = sourceKey(source);
    const bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= RATELIMITER_MAX_ENTRIES) return false;
      this.buckets.set(key, { tokens: TOKEN_MAX - PACKET_COST, lastTime: now });
      return true;
    }
    const tokens = Math.min(TOKEN_MAX, bucket.tokens + (now - bucket.lastTime));
    bucket.lastTime = now;
    const allowed = tokens >= PACKET_COST;
    bucket.tokens = allowed ? tokens - PACKET_COST : tokens;
    return allowed;
  }

  /** Drops the entries idle for longer than RATELIMITER_IDLE_TIMEOUT. */
  gc(now: number): void {
    this.lastGc = now;
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.lastTime > RATELIMITER_IDLE_TIMEOUT) this.buckets.delete(key);
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}

/**
 * IPv4 addresses key as numbers, IPv6 /64s as strings, so the two cannot collide.
 * IPv4-mapped IPv6 addresses (from dual-stack sockets) key as the IPv4 address they
 * carry; as a /64 they would all share one bucket.
 */
function sourceKey(source: IpAddress): number | string {
  const b = source.bytes;
  if (source.family === 4) return readUint32(b, 0);
  if (isIpv4Mapped(b)) return readUint32(b, 12);
  return `${readUint32(b, 0)}:${readUint32(b, 4)}`;
}

function isIpv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}
