// Finds and loads the native crypto addon (transport AEAD, X25519 and BLAKE2s),
// searched upwards from this file so that it is found from helper/src and from
// dist alike. Undefined where it is not built or the runtime refuses it; each
// user then falls back to node:crypto or TypeScript.
//
// The addon needs no OpenSSL: it uses the host's where the runtime exports it
// (Node does) and its own C otherwise (Electron, which links BoringSSL, does
// not); aeadBackend and x25519PrimitiveBackend say which. Test switch:
// WIREFLY_CRYPTO_NO_OPENSSL=1 in the environment when the addon loads makes it
// behave as if the host had no OpenSSL, so that tests can run Electron's
// configuration under Node.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A build for this platform first (the Windows one is cross-compiled, Makefile.mingw), else node-gyp's. */
const ADDONS = [
  join('helper', 'native', 'prebuilds', `${process.platform}-${process.arch}`, 'wirefly_aead.node'),
  join('helper', 'native', 'build', 'Release', 'wirefly_aead.node'),
];

function load(): Record<string, unknown> | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = ADDONS.map((addon) => join(dir, addon)).find((path) => existsSync(path));
    if (candidate) {
      try {
        return createRequire(import.meta.url)(candidate) as Record<string, unknown>;
      } catch {
        // Not for this runtime's ABI, or our ChaCha20-Poly1305 failed its known answers at load.
        return undefined;
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

export const cryptoAddon = load();
