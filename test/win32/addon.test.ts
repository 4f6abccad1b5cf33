// The Windows builds of the addons (cross-compiled with mingw-w64) load into
// Windows Node, and the crypto runs on the addon's own code: Electron, which
// the packaged helper runs on, exports no OpenSSL. The known-answer tests of
// every implementation are test/unit/crypto.test.ts, which this suite runs on
// Windows' Node too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cryptoAddon } from '../../helper/src/crypto/crypto-addon.js';
import { aeadImplementation, nativeAeadBackend, seal, open } from '../../helper/src/crypto/aead.js';
import { nativeX25519Backend, x25519Implementation } from '../../helper/src/crypto/x25519.js';
import { hash } from '../../helper/src/crypto/blake2s.js';
import { loadNativeAddon } from '../../helper/src/os/native-addon.js';

test('this is Windows Node, and both addons load from their Windows builds', () => {
  assert.equal(process.platform, 'win32');
  assert.ok(cryptoAddon, 'the crypto addon loads');
  assert.equal(typeof cryptoAddon['processJobs'], 'function');
  const native = loadNativeAddon() as unknown as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(native['wintun']!).sort(), ['close', 'luid', 'open', 'pause', 'resume', 'write']);
  assert.deepEqual(Object.keys(native['udp']!).sort(), ['bind', 'close', 'port', 'send', 'setMark', 'stats']);
});

test('the transport AEAD, X25519 and BLAKE2s run in the addon, on its own code', () => {
  assert.equal(aeadImplementation, 'native');
  assert.match(String(nativeAeadBackend), /^(avx2|portable|openssl)$/);
  assert.equal(x25519Implementation, 'native');
  assert.match(String(nativeX25519Backend), /^(avx512ifma|portable|openssl)$/);
  // RFC 7693 appendix B, through the addon's BLAKE2s.
  assert.equal(
    hash(Buffer.from('abc')).toString('hex'),
    '508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982',
  );
  const key = Buffer.alloc(32, 7);
  const sealed = seal(key, 5n, Buffer.from('over Winsock'));
  assert.equal(open(key, 5n, sealed)?.toString(), 'over Winsock');
  assert.equal(open(key, 6n, sealed), undefined);
});

test("the addons load into a host executable not named node.exe, as into Electron's (the delay-load hook)", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-host-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const host = join(dir, 'Wirefly.exe');
  copyFileSync(process.execPath, host);
  const prebuilds = resolve('helper', 'native', 'prebuilds', 'win32-x64');
  const script = [
    `const native = require(${JSON.stringify(join(prebuilds, 'wirefly_native.node'))});`,
    `const aead = require(${JSON.stringify(join(prebuilds, 'wirefly_aead.node'))});`,
    'console.log(Object.keys(native).sort().join(","), typeof aead.processJobs);',
  ].join('\n');
  const output = execFileSync(host, ['-e', script], { encoding: 'utf8' });
  assert.equal(output.trim(), 'service,udp,wintun function');
});
