import { timingSafeEqual } from 'node:crypto';

/** Equality that takes the same time wherever the inputs differ (MACs, keys). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
