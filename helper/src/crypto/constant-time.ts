/**
 * Equality that takes the same time wherever the inputs differ (MACs, keys):
 * every byte is looked at, whatever the earlier ones were. Pure, so that the
 * engine can use it without loading node:crypto.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
