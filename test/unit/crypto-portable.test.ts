import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createCipheriv, randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { x25519 } from '@noble/curves/ed25519.js';
import { blake2s } from '@noble/hashes/blake2.js';
import { nativeAeadBackend } from '../../helper/src/crypto/aead.js';
import { cryptoAddon } from '../../helper/src/crypto/crypto-addon.js';
import { nativeX25519Backend } from '../../helper/src/crypto/x25519.js';
import {
  CHILD_ENVIRONMENT,
  type ChildReport,
  type ChildRequest,
  type MessageCase,
} from './support/crypto-portable-child.js';
import { hasIfma, ownAeadBackend, ownX25519Backend } from './support/cpu.js';

// The crypto addon without OpenSSL, as Electron (which links BoringSSL and exports
// none of OpenSSL's symbols) loads it: child processes started with the addon's
// test switch WIREFLY_CRYPTO_NO_OPENSSL=1 run our own ChaCha20-Poly1305 and X25519
// through the engine's crypto modules, and this process checks what they return
// against node:crypto's OpenSSL and @noble. Each check runs twice: on the
// backends this CPU gets (AVX2, IFMA where it has them), and with the second
// test switch WIREFLY_CRYPTO_PORTABLE=1 on the portable code, which runs where
// a CPU has neither and is otherwise never exercised on one that has them.

const hex = (text: string) => Buffer.from(text, 'hex');
const hexOf = (data: Uint8Array) => Buffer.from(data).toString('hex');

const ADDON = join('helper', 'native', 'build', 'Release', 'wirefly_aead.node');

function addonPath(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, ADDON))) return join(dir, ADDON);
  }
  throw new Error(`${ADDON} is not built`);
}

function nodeSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  cipher.setAAD(ad, { plaintextLength: plaintext.length });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function wireguardNonce(counter: bigint): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64LE(counter, 4);
  return nonce;
}

function messageCase(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): MessageCase {
  return {
    key: hexOf(key),
    nonce: hexOf(nonce),
    ad: hexOf(ad),
    plaintext: hexOf(plaintext),
    sealed: hexOf(nodeSeal(key, nonce, plaintext, ad)),
    tamper: plaintext.length > 0 ? ['tag', 'ciphertext', 'ad'] : ['tag', 'ad'],
  };
}

const EMPTY_REQUEST: ChildRequest = {
  messages: [],
  batchJobs: 128,
  packetsToSeal: [],
  messagesToOpen: [],
  x25519: [],
  hashes: [],
};

const ALL_NATIVE = { aead: 'native', transport: 'native', x25519: 'native', blake2s: 'native' };

/**
 * Runs the child fixture without OpenSSL and returns its report; fails with its
 * stderr if it does not finish, and unless everything ran natively (the engine's
 * fallbacks would give the same results).
 */
type Backends = "this CPU's backends" | 'the portable code';

async function runWithoutOpenssl(backends: Backends, request: Partial<ChildRequest>): Promise<ChildReport> {
  const fixture = fileURLToPath(new URL('./support/crypto-portable-child.js', import.meta.url));
  const script = existsSync(fixture) ? fixture : fixture.replace(/\.js$/, '.ts');
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const env: NodeJS.ProcessEnv = { ...process.env, WIREFLY_CRYPTO_NO_OPENSSL: '1', [CHILD_ENVIRONMENT]: '1' };
  if (backends === 'the portable code') env.WIREFLY_CRYPTO_PORTABLE = '1';
  else delete env.WIREFLY_CRYPTO_PORTABLE;
  // Set by node --test for its own children; this one is not a test file.
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [...loader, script], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin.end(JSON.stringify({ ...EMPTY_REQUEST, ...request }));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  assert.equal(code, 0, `the child failed: ${Buffer.concat(stderr).toString()}`);
  const report = JSON.parse(Buffer.concat(stdout).toString()) as ChildReport;
  assert.deepEqual(report.implementations, ALL_NATIVE, 'the crypto addon loaded without OpenSSL');
  assert.deepEqual(
    { aead: report.aeadBackend, x25519: report.x25519Backend },
    backends === 'the portable code'
      ? { aead: 'portable', x25519: 'portable' }
      : { aead: ownAeadBackend, x25519: ownX25519Backend },
    backends,
  );
  return report;
}

function assertMessages(cases: readonly MessageCase[], report: ChildReport): void {
  assert.equal(report.messages.length, cases.length);
  cases.forEach((c, i) => {
    const result = report.messages[i]!;
    const what = `case ${i}: ${c.plaintext.length / 2} bytes, AD ${c.ad.length / 2}`;
    assert.equal(result.sealed, c.sealed, `${what}: sealed as node:crypto does`);
    assert.equal(result.opened, c.plaintext, `${what}: node:crypto's seal opens`);
    assert.deepEqual(
      result.tamperedOpened,
      c.tamper.map(() => false),
      `${what}: tampered forms fail`,
    );
  });
}

test('the addon has no link-time reference to OpenSSL', () => {
  const undefinedSymbols = execFileSync('nm', ['-D', '--undefined-only', addonPath()], { encoding: 'utf8' });
  assert.match(undefinedSymbols, /\bnapi_create_function\b/, 'nm lists what the addon imports');
  assert.deepEqual(
    undefinedSymbols.split('\n').filter((line) => /EVP_|OPENSSL|ossl_|CRYPTO_/.test(line)),
    [],
  );
});

test("under Node, which exports its OpenSSL, the AEAD runs on OpenSSL, X25519 on IFMA where the CPU has it, else OpenSSL's", () => {
  assert.equal(nativeAeadBackend, 'openssl');
  assert.equal(nativeX25519Backend, hasIfma ? 'avx512ifma' : 'openssl');
  assert.equal(typeof cryptoAddon?.x25519, 'function');
});

for (const backends of ["this CPU's backends", 'the portable code'] as const) {
  describe(`without OpenSSL, on ${backends}`, () => {
    test('every native implementation stays, on our own code', async () => {
      const report = await runWithoutOpenssl(backends, {});
      assert.equal(report.evpExported, false);
    });
    defineWithoutOpensslChecks(backends);
  });
}

function defineWithoutOpensslChecks(backends: Backends): void {
  test('RFC 8439 vectors (2.3.2 block, 2.4.2 cipher, 2.8.2 and A.5 AEAD)', async () => {
    const key0 = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    // 2.3.2: the block with counter 1, as the AEAD's ciphertext of 64 zero bytes (its data starts at counter 1).
    const block232 = Buffer.alloc(64);
    [
      0xe4e7f110, 0x15593bd1, 0x1fdd0f50, 0xc47120a3, 0xc7f4d1c7, 0x0368c033, 0x9aaa2204, 0x4e6cd4c3, 0x466482d2,
      0x09aa9f07, 0x05d7c214, 0xa2028bd9, 0xd19c12b5, 0xb94e16de, 0xe883d0cb, 0x4e3c50a2,
    ].forEach((word, i) => block232.writeUInt32LE(word, 4 * i));
    const sunscreen = Buffer.from(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const ciphertext242 = hex(
      '6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8' +
        '07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d',
    );
    const sealed282 = hex(
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36' +
        '92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116' +
        '1ae10b594f09e26a7e902ecbd0600691',
    );
    const draftsText = Buffer.from(
      'Internet-Drafts are draft documents valid for a maximum of six months and may be updated, replaced, or obsoleted by other ' +
        'documents at any time. It is inappropriate to use Internet-Drafts as reference material or to cite them other than as ' +
        '/\u201cwork in progress./\u201d',
    );
    const sealedA5 = hex(
      '64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb24c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf' +
        '332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c8559797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4' +
        'b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523eaf4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a' +
        '0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a1049e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29' +
        'a6ad5cb4022b02709b' +
        'eead9d67890cbb22392336fea1851f38',
    );
    const cases = [
      messageCase(key0, hex('000000090000004a00000000'), Buffer.alloc(0), Buffer.alloc(64)),
      messageCase(key0, hex('000000000000004a00000000'), Buffer.alloc(0), sunscreen),
      messageCase(
        hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f'),
        hex('070000004041424344454647'),
        hex('50515253c0c1c2c3c4c5c6c7'),
        sunscreen,
      ),
      messageCase(
        hex('1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0'),
        hex('000000000102030405060708'),
        hex('f33388860000000000004e91'),
        draftsText,
      ),
    ];
    const report = await runWithoutOpenssl(backends, { messages: cases });
    assert.equal(report.messages[0]!.sealed.slice(0, 128), hexOf(block232));
    assert.equal(report.messages[1]!.sealed.slice(0, sunscreen.length * 2), hexOf(ciphertext242));
    assert.equal(report.messages[2]!.sealed, hexOf(sealed282));
    assert.equal(report.messages[3]!.sealed, hexOf(sealedA5));
    assertMessages(cases, report);
  });

  test("2,000 random messages seal and open as node:crypto's, and tampered ones fail", async () => {
    const lengths = [0, 1, 15, 16, 17, 63, 64, 65, 255, 256, 257, 511, 512, 513, 1420, 1436, 2000];
    const cases = Array.from({ length: 2000 }, (_, i) =>
      messageCase(
        randomBytes(32),
        randomBytes(12),
        randomBytes(randomInt(0, 65)),
        randomBytes(lengths[i] ?? randomInt(0, 2001)),
      ),
    );
    // Through aead.ts, the handshake's path, with WireGuard's counter nonces.
    const counters = Array.from({ length: 50 }, (_, i) => {
      const counter = i === 0 ? 2n ** 64n - 1n : randomBytes(8).readBigUInt64LE();
      const c = messageCase(randomBytes(32), wireguardNonce(counter), randomBytes(32), randomBytes(randomInt(0, 200)));
      delete c.nonce;
      return { ...c, counter: counter.toString() };
    });
    assertMessages([...cases, ...counters], await runWithoutOpenssl(backends, { messages: [...cases, ...counters] }));
  });

  test('transport batches seal on a worker and open inline as node:crypto does', async () => {
    const packets = Array.from({ length: 300 }, (_, i) => {
      const packet = randomBytes(i < 128 ? 1420 : randomInt(0, 1500));
      return {
        key: randomBytes(32),
        counter: randomBytes(8).readBigUInt64LE(),
        packet,
        padded: Math.ceil(packet.length / 16) * 16,
      };
    });
    const messages = packets.map(({ key, counter, packet }) => ({
      key,
      counter,
      packet,
      message: Buffer.concat([randomBytes(16), nodeSeal(key, wireguardNonce(counter), packet, Buffer.alloc(0))]),
    }));
    const tagTampered = Buffer.from(messages[0]!.message);
    tagTampered[tagTampered.length - 1]! ^= 1;
    const bodyTampered = Buffer.from(messages[1]!.message);
    bodyTampered[20]! ^= 1;
    const toOpen = [
      ...messages,
      { ...messages[0]!, message: tagTampered },
      { ...messages[1]!, message: bodyTampered },
      { ...messages[2]!, counter: messages[2]!.counter ^ 1n },
    ];
    const report = await runWithoutOpenssl(backends, {
      packetsToSeal: packets.map((p) => ({
        key: hexOf(p.key),
        counter: p.counter.toString(),
        packet: hexOf(p.packet),
        padded: p.padded,
      })),
      messagesToOpen: toOpen.map((m) => ({
        key: hexOf(m.key),
        counter: m.counter.toString(),
        message: hexOf(m.message),
      })),
    });
    packets.forEach(({ key, counter, packet, padded }, i) => {
      const plaintext = Buffer.concat([packet, Buffer.alloc(padded - packet.length)]);
      assert.equal(
        report.sealedFrames[i]?.slice(32),
        hexOf(nodeSeal(key, wireguardNonce(counter), plaintext, Buffer.alloc(0))),
        `packet ${i}`,
      );
    });
    assert.deepEqual(report.openedPackets, [...packets.map(({ packet }) => hexOf(packet)), null, null, null]);
  });

  test('X25519 public keys and shared secrets as @noble/curves computes them; low order refused', async () => {
    const pairs = Array.from({ length: 30 }, () => ({
      privateKey: randomBytes(32),
      publicKey: x25519.getPublicKey(randomBytes(32)),
    }));
    const lowOrder = hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800');
    const report = await runWithoutOpenssl(backends, {
      x25519: [...pairs, { privateKey: randomBytes(32), publicKey: lowOrder }].map((p) => ({
        privateKey: hexOf(p.privateKey),
        publicKey: hexOf(p.publicKey),
      })),
    });
    pairs.forEach(({ privateKey, publicKey }, i) => {
      assert.equal(report.x25519[i]!.publicKey, hexOf(x25519.getPublicKey(privateKey)));
      assert.equal(report.x25519[i]!.shared, hexOf(x25519.getSharedSecret(privateKey, publicKey)));
    });
    assert.equal(report.x25519[pairs.length]!.shared, null);
  });

  test('BLAKE2s (native, as every child checks) hashes as @noble/hashes does', async () => {
    const inputs = [0, 1, 63, 64, 65, 1000].map((length) => randomBytes(length));
    const report = await runWithoutOpenssl(backends, { hashes: inputs.map(hexOf) });
    assert.deepEqual(
      report.hashes,
      inputs.map((data) => hexOf(blake2s(data))),
    );
  });
}

type SharedSecret = (privateKey: Uint8Array, publicKey: Uint8Array, out: Uint8Array) => boolean;
const portableLadder = (cryptoAddon as { x25519Portable: SharedSecret }).x25519Portable;

function ladder(k: Uint8Array, u: Uint8Array): string | undefined {
  const out = Buffer.alloc(32, 0xaa);
  const ok = portableLadder(k, u, out);
  assert.equal(ok, !out.equals(Buffer.alloc(32)), 'false exactly for a zero result');
  return ok ? hexOf(out) : undefined;
}

test('the portable X25519 ladder (the primitive without IFMA or OpenSSL): RFC 7748 5.2, iterated 1000 times', () => {
  assert.equal(
    ladder(
      hex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'),
      hex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'),
    ),
    'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
  );
  assert.equal(
    ladder(
      hex('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d'),
      hex('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493'),
    ),
    '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957',
  );
  let k = hex('0900000000000000000000000000000000000000000000000000000000000000');
  let u = k;
  for (let i = 0; i < 1000; i++) {
    const next = hex(ladder(k, u)!);
    u = k;
    k = next;
  }
  assert.equal(hexOf(k), '684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51');
});

test('the portable X25519 ladder agrees with @noble/curves on random keys and refuses low-order points', () => {
  for (let i = 0; i < 100; i++) {
    const k = randomBytes(32);
    const u = randomBytes(32);
    assert.equal(ladder(k, u), hexOf(x25519.scalarMult(k, u)));
  }
  const lowOrder = [
    '0000000000000000000000000000000000000000000000000000000000000000',
    'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  ];
  for (const point of lowOrder) assert.equal(ladder(randomBytes(32), hex(point)), undefined, point);
});
