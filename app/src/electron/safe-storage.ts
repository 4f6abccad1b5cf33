// Tunnel files encrypted with the OS key store, where Electron's safeStorage has one.
import { safeStorage } from 'electron';
import { plainText } from '../store/encryption.js';
import type { Encryption } from '../store/encryption.js';

/** Call after the app is ready: that is when safeStorage knows. Linux's 'basic_text' backend is a fixed key, so it counts as none. */
export function safeStorageEncryption(): Encryption {
  const usable =
    safeStorage.isEncryptionAvailable() &&
    (process.platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text');
  if (!usable) return plainText;
  return {
    available: true,
    encrypt: (text) => safeStorage.encryptString(text),
    decrypt: (data) => safeStorage.decryptString(Buffer.from(data)),
  };
}
