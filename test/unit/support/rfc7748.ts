// RFC 7748's X25519 test vectors, for the tests of every implementation.

/** Section 5.2: scalar, u-coordinate (the second with its top bit set, which must be ignored) and result. */
export const SCALAR_MULT_VECTORS = [
  {
    scalar: 'a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4',
    u: 'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c',
    result: 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
  },
  {
    scalar: '4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d',
    u: 'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493',
    result: '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957',
  },
] as const;

/** Section 5.2's iteration (k, u = X25519(k, u), k) from k = u = 9: k after 1 and after 1,000 rounds. */
export const ITERATED = {
  once: '422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079',
  thousand: '684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51',
} as const;

/** Runs section 5.2's iteration `rounds` times with `x25519`, returning k as hex after each round asked for. */
export function iterate(x25519: (k: Buffer, u: Buffer) => Buffer | undefined, rounds: number): Map<number, string> {
  let k: Buffer = Buffer.from('09'.padEnd(64, '0'), 'hex');
  let u = k;
  const seen = new Map<number, string>();
  for (let i = 1; i <= rounds; i++) {
    const next = x25519(k, u);
    if (!next) throw new Error(`X25519 gave no result in round ${i}`);
    u = k;
    k = next;
    if (i === 1 || i === rounds) seen.set(i, k.toString('hex'));
  }
  return seen;
}

/** Section 6.1: Alice's and Bob's keys and their shared secret. */
export const DIFFIE_HELLMAN = {
  alicePrivate: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
  alicePublic: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
  bobPrivate: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb',
  bobPublic: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
  shared: '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
} as const;
