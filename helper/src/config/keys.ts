// WireGuard keys: Curve25519 private keys, their public keys and preshared keys,
// 32 bytes each, written as 44 characters of base64 — the same as wg genkey,
// wg pubkey and wg genpsk produce.
import { x25519 } from '@noble/curves/ed25519.js';
import { decodeBase64, encodeBase64 } from './base64.js';

export const WG_KEY_LEN = 32;
export const WG_KEY_LEN_BASE64 = 44;

export function keyToBase64(key: Uint8Array): string {
  if (key.length !== WG_KEY_LEN) throw new RangeError(`a WireGuard key is ${WG_KEY_LEN} bytes, not ${key.length}`);
  return encodeBase64(key);
}

export type KeyTextProblem = 'not-base64' | 'wrong-length';

/** Decodes a base64 key, telling a wrong length apart from text that is not base64 at all. */
export function parseKeyText(
  text: string,
):
  | { readonly ok: true; readonly key: Uint8Array }
  | { readonly ok: false; readonly problem: KeyTextProblem; readonly byteLength?: number } {
  const bytes = decodeBase64(text);
  if (!bytes) return { ok: false, problem: 'not-base64' };
  if (bytes.length !== WG_KEY_LEN) return { ok: false, problem: 'wrong-length', byteLength: bytes.length };
  return { ok: true, key: bytes };
}

export function keyFromBase64(text: string): Uint8Array | undefined {
  const parsed = parseKeyText(text);
  return parsed.ok ? parsed.key : undefined;
}

function randomKeyBytes(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(WG_KEY_LEN));
}

/** Clamps a Curve25519 scalar as wg genkey stores it. */
function clampPrivateKey(key: Uint8Array): Uint8Array {
  key[0]! &= 248;
  key[31] = (key[31]! & 127) | 64;
  return key;
}

export function generatePrivateKey(): Uint8Array {
  return clampPrivateKey(randomKeyBytes());
}

export function generatePresharedKey(): Uint8Array {
  return randomKeyBytes();
}

/** X25519 clamps the scalar itself, so unclamped private keys give the same public key as in wg. */
export function publicKeyFromPrivate(privateKey: Uint8Array): Uint8Array {
  if (privateKey.length !== WG_KEY_LEN)
    throw new RangeError(`a WireGuard key is ${WG_KEY_LEN} bytes, not ${privateKey.length}`);
  return x25519.getPublicKey(privateKey);
}
