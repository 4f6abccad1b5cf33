// How tunnel files are protected at rest. Electron's safeStorage encrypts with a
// key the OS keeps for the user (Keychain, DPAPI, libsecret); where there is
// none, files are stored as plain text readable only by their owner (0600).
// Encrypted files start with a marker so that reading never guesses.

export interface Encryption {
  /** False when files are stored as plain text; the UI warns then. */
  readonly available: boolean;
  encrypt(text: string): Uint8Array;
  decrypt(data: Uint8Array): string;
}

export const ENCRYPTED_MARKER = 'WIREFLY-ENCRYPTED-1\n';

/** What the store writes to disk for `text`. */
export function sealConfig(text: string, encryption: Encryption): Uint8Array {
  if (!encryption.available) return new TextEncoder().encode(text);
  const marker = new TextEncoder().encode(ENCRYPTED_MARKER);
  const sealed = encryption.encrypt(text);
  const out = new Uint8Array(marker.length + sealed.length);
  out.set(marker);
  out.set(sealed, marker.length);
  return out;
}

/** The config text of a file written by sealConfig (or by hand, as plain text). */
export function openConfig(data: Uint8Array, encryption: Encryption): string {
  const marker = new TextEncoder().encode(ENCRYPTED_MARKER);
  const isSealed = data.length >= marker.length && marker.every((byte, i) => data[i] === byte);
  if (!isSealed) return new TextDecoder().decode(data);
  if (!encryption.available) {
    throw new Error('this tunnel was encrypted with an OS key store that is not available now');
  }
  return encryption.decrypt(data.subarray(marker.length));
}

/** No encryption: files are plain text, protected only by their permissions. */
export const plainText: Encryption = {
  available: false,
  encrypt: (text) => new TextEncoder().encode(text),
  decrypt: (data) => new TextDecoder().decode(data),
};
