// ChaCha20-Poly1305 with WireGuard's nonce (32 zero bits, then the 64-bit counter
// little-endian) for the handshake's single messages: natively where the crypto
// addon loads (on the host's OpenSSL, or the addon's own code where the runtime
// has none), else through node:crypto. XChaCha20-Poly1305 for cookie replies.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { cryptoAddon } from './crypto-addon.js';
import { offHeapBuffer } from './off-heap.js';

import { TAG_LENGTH, XNONCE_LENGTH } from './sizes.js';

export { TAG_LENGTH, XNONCE_LENGTH };
const EMPTY = new Uint8Array(0);

/** One nonce for every call: both implementations take it in synchronously. */
const nonce = offHeapBuffer(12);

function nonceFor(counter: bigint): Buffer {
  nonce.writeBigUInt64LE(counter, 4);
  return nonce;
}

export interface AeadImplementation {
  readonly name: 'native' | 'node:crypto';
  seal(key: Uint8Array, counter: bigint, plaintext: Uint8Array, ad?: Uint8Array): Buffer;
  /** The plaintext, or undefined when authentication fails. */
  open(key: Uint8Array, counter: bigint, ciphertext: Uint8Array, ad?: Uint8Array): Buffer | undefined;
}

/** Through node:crypto's Cipher objects: everywhere, but 13–20 µs a message. */
export const nodeCryptoAead: AeadImplementation = {
  name: 'node:crypto',
  seal(key, counter, plaintext, ad = EMPTY) {
    const cipher = createCipheriv('chacha20-poly1305', key, nonceFor(counter), { authTagLength: TAG_LENGTH });
    cipher.setAAD(ad, { plaintextLength: plaintext.length });
    const body = cipher.update(plaintext);
    cipher.final();
    return Buffer.concat([body, cipher.getAuthTag()]);
  },
  open(key, counter, ciphertext, ad = EMPTY) {
    if (ciphertext.length < TAG_LENGTH) return undefined;
    const bodyLength = ciphertext.length - TAG_LENGTH;
    const decipher = createDecipheriv('chacha20-poly1305', key, nonceFor(counter), { authTagLength: TAG_LENGTH });
    decipher.setAAD(ad, { plaintextLength: bodyLength });
    decipher.setAuthTag(ciphertext.subarray(bodyLength));
    const body = decipher.update(ciphertext.subarray(0, bodyLength));
    try {
      decipher.final();
    } catch {
      return undefined;
    }
    return body;
  },
};

interface NativeMessageAead {
  /** What the addon's AEAD runs on: the host's OpenSSL, or the addon's own ChaCha20 on AVX2 or in portable C. */
  aeadBackend: 'openssl' | 'avx2' | 'portable';
  sealMessage(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array, out: Uint8Array): boolean;
  openMessage(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array, out: Uint8Array): boolean;
  /** The same with XChaCha20-Poly1305 and a 24-byte nonce. */
  xsealMessage(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array, out: Uint8Array): boolean;
  xopenMessage(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array, out: Uint8Array): boolean;
}

/** The addon's single-message calls: measured here ~1 µs a message against node:crypto's 13–20 µs. */
function nativeImplementation(addon: NativeMessageAead): AeadImplementation {
  return {
    name: 'native',
    seal(key, counter, plaintext, ad = EMPTY) {
      const out = offHeapBuffer(plaintext.length + TAG_LENGTH);
      if (!addon.sealMessage(key, nonceFor(counter), plaintext, ad, out))
        throw new Error('ChaCha20-Poly1305 seal failed');
      return out;
    },
    open(key, counter, ciphertext, ad = EMPTY) {
      if (ciphertext.length < TAG_LENGTH) return undefined;
      const out = offHeapBuffer(ciphertext.length - TAG_LENGTH);
      return addon.openMessage(key, nonceFor(counter), ciphertext, ad, out) ? out : undefined;
    },
  };
}

const addon = cryptoAddon as Partial<NativeMessageAead> | undefined;

/** Every implementation this runtime offers, the one in use first; for cross-checking them in tests. */
export const aeadImplementations: readonly AeadImplementation[] =
  addon?.sealMessage && addon.openMessage
    ? [nativeImplementation(addon as NativeMessageAead), nodeCryptoAead]
    : [nodeCryptoAead];

const active = aeadImplementations[0]!;

export const aeadImplementation = active.name;

/** The native AEAD's backend (also the transport batches'), undefined where the addon does not load. */
export const nativeAeadBackend = addon?.aeadBackend;

export function seal(key: Uint8Array, counter: bigint, plaintext: Uint8Array, ad: Uint8Array = EMPTY): Buffer {
  return active.seal(key, counter, plaintext, ad);
}

/** The plaintext, or undefined when authentication fails. */
export function open(
  key: Uint8Array,
  counter: bigint,
  ciphertext: Uint8Array,
  ad: Uint8Array = EMPTY,
): Buffer | undefined {
  return active.open(key, counter, ciphertext, ad);
}

/** XChaCha20-Poly1305 through @noble/ciphers: where the addon does not load, and the reference tests check the addon's against. */
export const nobleXaead = {
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
    return xchacha20poly1305(key, nonce, ad).encrypt(plaintext);
  },
  open(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array | undefined {
    try {
      return xchacha20poly1305(key, nonce, ad).decrypt(ciphertext);
    } catch {
      return undefined;
    }
  },
};

/**
 * XChaCha20-Poly1305 (cookie replies), in the addon where it loads: a server
 * under a handshake flood seals one per initiation it cannot take, and
 * @noble's took many times as long as the addon's one call.
 */
export function xseal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  const out = offHeapBuffer(plaintext.length + TAG_LENGTH);
  xsealInto(out, key, nonce, plaintext, ad);
  return out;
}

/** The same into `out`, plaintext.length + 16 bytes. */
export function xsealInto(
  out: Uint8Array,
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  ad: Uint8Array,
): void {
  if (out.length !== plaintext.length + TAG_LENGTH)
    throw new RangeError('XChaCha20-Poly1305 output must be 16 bytes longer than the plaintext');
  if (!addon?.xsealMessage) out.set(nobleXaead.seal(key, nonce, plaintext, ad));
  else if (!addon.xsealMessage(key, nonce, plaintext, ad, out)) throw new Error('XChaCha20-Poly1305 seal failed');
}

export function xopen(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  ad: Uint8Array,
): Uint8Array | undefined {
  if (!addon?.xopenMessage) return nobleXaead.open(key, nonce, ciphertext, ad);
  if (ciphertext.length < TAG_LENGTH) return undefined;
  const out = offHeapBuffer(ciphertext.length - TAG_LENGTH);
  return addon.xopenMessage(key, nonce, ciphertext, ad, out) ? out : undefined;
}
