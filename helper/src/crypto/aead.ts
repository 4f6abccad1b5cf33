// ChaCha20-Poly1305 with WireGuard's nonce (32 zero bits, then the 64-bit counter
// little-endian) through OpenSSL, and XChaCha20-Poly1305 for cookie replies.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';

export const TAG_LENGTH = 16;
const EMPTY = new Uint8Array(0);

function nonceFor(counter: bigint): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64LE(counter, 4);
  return nonce;
}

export function seal(key: Uint8Array, counter: bigint, plaintext: Uint8Array, ad: Uint8Array = EMPTY): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', key, nonceFor(counter), { authTagLength: TAG_LENGTH });
  cipher.setAAD(ad, { plaintextLength: plaintext.length });
  const body = cipher.update(plaintext);
  cipher.final();
  return Buffer.concat([body, cipher.getAuthTag()]);
}

/** The plaintext, or undefined when authentication fails. */
export function open(
  key: Uint8Array,
  counter: bigint,
  ciphertext: Uint8Array,
  ad: Uint8Array = EMPTY,
): Buffer | undefined {
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
}

export const XNONCE_LENGTH = 24;

export function xseal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  return xchacha20poly1305(key, nonce, ad).encrypt(plaintext);
}

export function xopen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array | undefined {
  try {
    return xchacha20poly1305(key, nonce, ad).decrypt(ciphertext);
  } catch {
    return undefined;
  }
}
