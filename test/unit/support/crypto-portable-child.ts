// A child process for crypto-portable.test.ts: started with WIREFLY_CRYPTO_NO_OPENSSL=1,
// it loads the crypto addon as a runtime without OpenSSL (Electron) would, runs
// the work it reads as one JSON document on stdin through the engine's own
// crypto modules, and writes what came out as one JSON document on stdout. The
// parent judges the results against node:crypto and @noble.
import { text } from 'node:stream/consumers';
import { aeadImplementation, nativeAeadBackend, open, seal } from '../../../helper/src/crypto/aead.js';
import { blake2sImplementation, hash } from '../../../helper/src/crypto/blake2s.js';
import { cryptoAddon } from '../../../helper/src/crypto/crypto-addon.js';
import {
  InlineTransportCrypto,
  WorkerTransportCrypto,
  type TransportCrypto,
} from '../../../helper/src/crypto/crypto-pool.js';
import { transportAeadImplementation } from '../../../helper/src/crypto/transport-aead.js';
import type { TransportBatch } from '../../../helper/src/crypto/transport-batch.js';
import { dh, importPrivateKey, nativeX25519Backend, x25519Implementation } from '../../../helper/src/crypto/x25519.js';

/**
 * One AEAD message to seal, and the reference's sealed form to open, which must
 * give the plaintext; each listed tampering of it must make opening fail: 'tag'
 * flips a bit of the tag, 'ciphertext' one of the first ciphertext byte, 'ad'
 * one of the first AD byte (or appends a byte to an empty AD).
 * Byte strings travel as hex, counters as decimal strings.
 */
export interface MessageCase {
  key: string;
  /** Either a whole 12-byte nonce (through the addon's calls) or WireGuard's counter (through aead.ts). */
  nonce?: string;
  counter?: string;
  ad: string;
  plaintext: string;
  sealed: string;
  tamper: ('tag' | 'ciphertext' | 'ad')[];
}

export interface MessageResult {
  sealed: string;
  opened: string | null;
  tamperedOpened: boolean[];
}

export interface ChildRequest {
  messages: MessageCase[];
  /** Transport batches of at most `batchJobs`, sealed on a worker thread and opened inline. */
  batchJobs: number;
  packetsToSeal: { key: string; counter: string; packet: string; padded: number }[];
  /** Whole transport messages: 16 header bytes, ciphertext, tag. */
  messagesToOpen: { key: string; counter: string; message: string }[];
  x25519: { privateKey: string; publicKey: string }[];
  hashes: string[];
}

export interface ChildReport {
  aeadBackend: string | undefined;
  x25519Backend: string | undefined;
  evpExported: boolean;
  implementations: { aead: string; transport: string; x25519: string; blake2s: string };
  messages: MessageResult[];
  /** Each whole frame sealed in a batch, header included; null where the job failed. */
  sealedFrames: (string | null)[];
  openedPackets: (string | null)[];
  x25519: { publicKey: string; shared: string | null }[];
  hashes: string[];
}

export const CHILD_ENVIRONMENT = 'WIREFLY_CRYPTO_PORTABLE_CHILD';

const bytes = (hex: string) => Buffer.from(hex, 'hex');
const hexOf = (data: Uint8Array) => Buffer.from(data).toString('hex');

type RawAead = (key: Uint8Array, nonce: Uint8Array, input: Uint8Array, ad: Uint8Array, out: Uint8Array) => boolean;
const addon = cryptoAddon as { sealMessage: RawAead; openMessage: RawAead };

function sealCase(c: MessageCase): Uint8Array {
  if (c.counter !== undefined) return seal(bytes(c.key), BigInt(c.counter), bytes(c.plaintext), bytes(c.ad));
  const out = new Uint8Array(c.plaintext.length / 2 + 16);
  if (!addon.sealMessage(bytes(c.key), bytes(c.nonce!), bytes(c.plaintext), bytes(c.ad), out))
    throw new Error('seal failed');
  return out;
}

function openCase(c: MessageCase, sealed: Uint8Array, ad: Uint8Array): Uint8Array | undefined {
  if (c.counter !== undefined) return open(bytes(c.key), BigInt(c.counter), sealed, ad);
  if (sealed.length < 16) return undefined;
  const out = new Uint8Array(sealed.length - 16);
  return addon.openMessage(bytes(c.key), bytes(c.nonce!), sealed, ad, out) ? out : undefined;
}

function tampered(c: MessageCase, how: MessageCase['tamper'][number]): { sealed: Uint8Array; ad: Uint8Array } {
  const sealed = bytes(c.sealed);
  let ad = bytes(c.ad);
  if (how === 'tag') sealed[sealed.length - 1]! ^= 0x01;
  if (how === 'ciphertext') sealed[0]! ^= 0x80;
  if (how === 'ad')
    ad = ad.length > 0 ? Buffer.from(ad.map((byte, i) => (i === 0 ? byte ^ 0x01 : byte))) : Buffer.of(0);
  return { sealed, ad };
}

function runMessage(c: MessageCase): MessageResult {
  const opened = openCase(c, bytes(c.sealed), bytes(c.ad));
  return {
    sealed: hexOf(sealCase(c)),
    opened: opened ? hexOf(opened) : null,
    tamperedOpened: c.tamper.map((how) => {
      const { sealed, ad } = tampered(c, how);
      return openCase(c, sealed, ad) !== undefined;
    }),
  };
}

/** Runs `jobs` through `crypto` in batches of at most `batchJobs`, in order, and collects each job's output. */
async function runBatches<T>(
  crypto: TransportCrypto,
  jobs: readonly T[],
  batchJobs: number,
  add: (batch: TransportBatch, job: T) => void,
  output: (batch: TransportBatch, index: number) => string | null,
): Promise<(string | null)[]> {
  const results: (string | null)[] = [];
  for (let start = 0; start < jobs.length; start += batchJobs) {
    const batch = crypto.acquire();
    for (const job of jobs.slice(start, start + batchJobs)) add(batch, job);
    await new Promise<void>((resolve) => crypto.submit(batch, () => resolve()));
    for (let i = 0; i < batch.count; i++) results.push(output(batch, i));
    crypto.release(batch);
  }
  return results;
}

async function sealPackets(request: ChildRequest): Promise<(string | null)[]> {
  const workers = new WorkerTransportCrypto(1);
  try {
    return await runBatches(
      workers,
      request.packetsToSeal,
      request.batchJobs,
      (batch, job) => batch.addSeal(bytes(job.key), BigInt(job.counter), bytes(job.packet), job.padded),
      (batch, i) => (batch.succeeded(i) ? hexOf(batch.frame(i)) : null),
    );
  } finally {
    await workers.close();
  }
}

function openPackets(request: ChildRequest): Promise<(string | null)[]> {
  return runBatches(
    new InlineTransportCrypto(),
    request.messagesToOpen,
    request.batchJobs,
    (batch, job) => batch.addOpen(bytes(job.key), BigInt(job.counter), bytes(job.message)),
    (batch, i) => (batch.succeeded(i) ? hexOf(batch.plaintext(i)) : null),
  );
}

async function run(request: ChildRequest): Promise<ChildReport> {
  return {
    aeadBackend: nativeAeadBackend,
    x25519Backend: nativeX25519Backend,
    evpExported: cryptoAddon?.x25519 !== undefined,
    implementations: {
      aead: aeadImplementation,
      transport: transportAeadImplementation,
      x25519: x25519Implementation,
      blake2s: blake2sImplementation,
    },
    messages: request.messages.map(runMessage),
    sealedFrames: await sealPackets(request),
    openedPackets: await openPackets(request),
    x25519: request.x25519.map((c) => {
      const privateKey = importPrivateKey(bytes(c.privateKey));
      const shared = dh(privateKey, bytes(c.publicKey));
      return { publicKey: hexOf(privateKey.publicKey), shared: shared ? hexOf(shared) : null };
    }),
    hashes: request.hashes.map((data) => hexOf(hash(bytes(data)))),
  };
}

if (process.env[CHILD_ENVIRONMENT]) {
  const request = JSON.parse(await text(process.stdin)) as ChildRequest;
  process.stdout.write(JSON.stringify(await run(request)));
}
