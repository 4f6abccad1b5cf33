// Finds and loads the native crypto addon (transport AEAD and X25519 through
// the runtime's OpenSSL), searched upwards from this file so that it is found
// from helper/src and from dist alike. Undefined where it is not built or the
// runtime refuses it; each user then falls back to node:crypto.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ADDON = join('helper', 'native', 'build', 'Release', 'wirefly_aead.node');

function load(): Record<string, unknown> | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, ADDON);
    if (existsSync(candidate)) {
      try {
        return createRequire(import.meta.url)(candidate) as Record<string, unknown>;
      } catch {
        // A runtime whose OpenSSL lacks ChaCha20-Poly1305 refuses to load it.
        return undefined;
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

export const cryptoAddon = load();
