// The Noise_IKpsk2 handshake (whitepaper 5.4.2–5.4.4) as pure functions over a
// per-peer HandshakeState; the primitives and the randomness come in with the
// HandshakeContext. MACs and cookies are added by the caller (cookie.ts).
import type { FillRandom, HandshakeCrypto, PrivateKey, PublicKey } from '../crypto/handshake-crypto.js';
import { offHeapBuffer } from '../crypto/off-heap.js';
import { HASH_LENGTH, KEY_LENGTH, TAG_LENGTH } from '../crypto/sizes.js';
import { HANDSHAKE_INITIATION_RATE, INITIAL_CHAIN_KEY, INITIAL_HASH } from './constants.js';
import {
  INITIATION,
  INITIATION_SIZE,
  MESSAGE_INITIATION,
  MESSAGE_RESPONSE,
  RESPONSE,
  RESPONSE_SIZE,
  readUint32LE,
  writeHeader,
  writeUint32LE,
} from './messages.js';
import { isAfter, TAI64N_LENGTH, tai64n } from './tai64n.js';

const EMPTY = new Uint8Array(0);

export type HandshakeStage =
  'zeroed' | 'initiation-created' | 'initiation-consumed' | 'response-created' | 'response-consumed';

/**
 * Where a peer's handshake state starts, shared by all peers that have not
 * had one: every handshake replaces these buffers with its own, and what is
 * done to them in place is only wiping, which leaves them as they are.
 */
const NO_CHAINING_KEY = new Uint8Array(HASH_LENGTH);
const NO_HASH = new Uint8Array(HASH_LENGTH);
const NO_TIMESTAMP = new Uint8Array(TAI64N_LENGTH);

export class HandshakeState {
  stage: HandshakeStage = 'zeroed';
  chainingKey: Uint8Array = NO_CHAINING_KEY;
  hash: Uint8Array = NO_HASH;
  localEphemeral: PrivateKey | undefined;
  remoteEphemeral: PublicKey | undefined;
  localIndex = 0;
  remoteIndex = 0;
  /** The newest initiation timestamp accepted from this peer, against replays. */
  latestTimestamp: Uint8Array = NO_TIMESTAMP;
  /** When the last initiation from this peer was accepted (monotonic ms), against floods. */
  lastInitiationConsumed = -Infinity;

  clear(): void {
    this.chainingKey.fill(0);
    this.hash.fill(0);
    this.localEphemeral?.raw.fill(0);
    this.localEphemeral = undefined;
    this.remoteEphemeral = undefined;
    this.stage = 'zeroed';
  }
}

/** What the handshake needs to know of a peer. */
export interface HandshakePeer {
  readonly publicKey: Uint8Array;
  /** The same key prepared for DH once, rather than at every handshake. */
  readonly publicKeyObject: PublicKey | undefined;
  readonly presharedKey: Uint8Array;
  /** DH(our static, their static), computed once per key change; undefined if it is zero. */
  staticStatic(): Uint8Array | undefined;
  readonly handshake: HandshakeState;
}

/** Our side of every handshake: the static key, the primitives and where randomness comes from. */
export interface HandshakeContext {
  readonly privateKey: PrivateKey;
  readonly crypto: HandshakeCrypto;
  readonly random: FillRandom;
}

/** HASH(INITIAL_HASH ‖ our static public key): the same for every initiation we receive, so made once per key. */
const responderHashes = new WeakMap<PrivateKey, Buffer>();

function responderInitialHash(context: HandshakeContext): Buffer {
  let h = responderHashes.get(context.privateKey);
  if (!h) {
    h = context.crypto.hash(INITIAL_HASH, context.privateKey.publicKey);
    responderHashes.set(context.privateKey, h);
  }
  return h;
}

/** A fresh ephemeral key; the raw bytes it was made from are wiped. */
function generateEphemeral(context: HandshakeContext): PrivateKey {
  const raw = offHeapBuffer(KEY_LENGTH);
  context.random(raw);
  try {
    return context.crypto.importPrivateKey(raw);
  } finally {
    raw.fill(0);
  }
}

/** Builds an initiation (MACs still zero) and records the state needed for the response. */
export function createInitiation(
  context: HandshakeContext,
  peer: HandshakePeer,
  localIndex: number,
  wallClockMs: number,
): Uint8Array | undefined {
  const staticStatic = peer.staticStatic();
  if (!staticStatic || !peer.publicKeyObject) return undefined;
  const { crypto } = context;
  const ephemeral = generateEphemeral(context);
  const ephemeralShared = crypto.dh(ephemeral, peer.publicKeyObject);
  if (!ephemeralShared) {
    ephemeral.raw.fill(0);
    return undefined;
  }

  const message = new Uint8Array(INITIATION_SIZE);
  writeHeader(message, MESSAGE_INITIATION);
  writeUint32LE(message, INITIATION.sender, localIndex);
  message.set(ephemeral.publicKey, INITIATION.ephemeral);

  let h = crypto.hash(INITIAL_HASH, peer.publicKey);
  let c = crypto.kdf1(INITIAL_CHAIN_KEY, ephemeral.publicKey);
  h = crypto.hash(h, ephemeral.publicKey);

  let key: Buffer;
  [c, key] = crypto.kdf2(c, ephemeralShared);
  const encryptedStatic = crypto.seal(key, 0n, context.privateKey.publicKey, h);
  message.set(encryptedStatic, INITIATION.encryptedStatic);
  h = crypto.hash(h, encryptedStatic);

  [c, key] = crypto.kdf2(c, staticStatic);
  const encryptedTimestamp = crypto.seal(key, 0n, tai64n(wallClockMs), h);
  message.set(encryptedTimestamp, INITIATION.encryptedTimestamp);
  h = crypto.hash(h, encryptedTimestamp);
  key.fill(0);
  ephemeralShared.fill(0);

  const state = peer.handshake;
  state.clear();
  state.chainingKey = c;
  state.hash = h;
  state.localEphemeral = ephemeral;
  state.localIndex = localIndex;
  state.stage = 'initiation-created';
  return message;
}

/** The first half of consuming an initiation: who sent it, if it decrypts at all. */
export interface DecodedInitiation {
  readonly remoteStatic: Uint8Array;
  readonly chainingKey: Buffer;
  readonly hash: Buffer;
  readonly remoteEphemeral: PublicKey;
  readonly senderIndex: number;
}

export function decodeInitiation(context: HandshakeContext, message: Uint8Array): DecodedInitiation | undefined {
  const { crypto } = context;
  const remoteEphemeralBytes = message.subarray(INITIATION.ephemeral, INITIATION.ephemeral + KEY_LENGTH);
  const remoteEphemeral = crypto.importPublicKey(remoteEphemeralBytes);
  const ephemeralShared = remoteEphemeral && crypto.dh(context.privateKey, remoteEphemeral);
  if (!remoteEphemeral || !ephemeralShared) return undefined;

  // The hash and the chaining key are each mixed in place, in buffers of their own.
  const h = crypto.hash(responderInitialHash(context), remoteEphemeralBytes);
  const c = offHeapBuffer(HASH_LENGTH);
  const key = offHeapBuffer(HASH_LENGTH);
  crypto.kdfInto(INITIAL_CHAIN_KEY, remoteEphemeralBytes, c);
  crypto.kdfInto(c, ephemeralShared, c, key);
  ephemeralShared.fill(0);
  const encryptedStatic = message.subarray(
    INITIATION.encryptedStatic,
    INITIATION.encryptedStatic + KEY_LENGTH + TAG_LENGTH,
  );
  const remoteStatic = crypto.open(key, 0n, encryptedStatic, h);
  key.fill(0);
  if (!remoteStatic) {
    c.fill(0);
    return undefined;
  }
  crypto.hashInto(h, h, encryptedStatic);
  return {
    remoteStatic,
    chainingKey: c,
    hash: h,
    remoteEphemeral,
    senderIndex: readUint32LE(message, INITIATION.sender),
  };
}

export type InitiationRejection = 'no-static-static' | 'decrypt-failed' | 'replayed-timestamp' | 'flood';

/** The second half: decrypt the timestamp with the peer's keys and accept the initiation. */
export function acceptInitiation(
  crypto: HandshakeCrypto,
  peer: HandshakePeer,
  decoded: DecodedInitiation,
  message: Uint8Array,
  now: number,
): InitiationRejection | undefined {
  const staticStatic = peer.staticStatic();
  if (!staticStatic) return 'no-static-static';
  const [c, key] = crypto.kdf2(decoded.chainingKey, staticStatic);
  // The decoded initiation is of no use beyond this point, accepted or not.
  decoded.chainingKey.fill(0);
  const encryptedTimestamp = message.subarray(
    INITIATION.encryptedTimestamp,
    INITIATION.encryptedTimestamp + TAI64N_LENGTH + TAG_LENGTH,
  );
  const timestamp = crypto.open(key, 0n, encryptedTimestamp, decoded.hash);
  key.fill(0);
  const state = peer.handshake;
  const rejection = rejectInitiation(state, timestamp, now);
  if (rejection) {
    c.fill(0);
    return rejection;
  }

  state.clear();
  state.chainingKey = c;
  crypto.hashInto(decoded.hash, decoded.hash, encryptedTimestamp);
  state.hash = decoded.hash;
  state.remoteEphemeral = decoded.remoteEphemeral;
  state.remoteIndex = decoded.senderIndex;
  state.latestTimestamp = timestamp!;
  state.lastInitiationConsumed = now;
  state.stage = 'initiation-consumed';
  return undefined;
}

function rejectInitiation(
  state: HandshakeState,
  timestamp: Uint8Array | undefined,
  now: number,
): InitiationRejection | undefined {
  if (!timestamp) return 'decrypt-failed';
  if (!isAfter(timestamp, state.latestTimestamp)) return 'replayed-timestamp';
  if (now - state.lastInitiationConsumed < HANDSHAKE_INITIATION_RATE) return 'flood';
  return undefined;
}

/** Builds the response (MACs still zero) to an accepted initiation. */
export function createResponse(
  context: HandshakeContext,
  peer: HandshakePeer,
  localIndex: number,
): Uint8Array | undefined {
  const state = peer.handshake;
  if (state.stage !== 'initiation-consumed' || !state.remoteEphemeral || !peer.publicKeyObject) return undefined;
  const { crypto } = context;
  const ephemeral = generateEphemeral(context);
  const shared = crypto.dhPair(ephemeral, state.remoteEphemeral, ephemeral, peer.publicKeyObject);
  if (!shared) {
    ephemeral.raw.fill(0);
    return undefined;
  }
  const [ephemeralEphemeral, ephemeralStatic] = shared;

  // From Node's pool: a new Uint8Array of this size gets memory of its own outside V8's heap, ~0.3 µs more.
  const message = Buffer.allocUnsafe(RESPONSE_SIZE).fill(0);
  writeHeader(message, MESSAGE_RESPONSE);
  writeUint32LE(message, RESPONSE.sender, localIndex);
  writeUint32LE(message, RESPONSE.receiver, state.remoteIndex);
  message.set(ephemeral.publicKey, RESPONSE.ephemeral);

  const {
    chainingKey,
    hash: h,
    key,
  } = responseKeys(crypto, state, peer, ephemeral.publicKey, ephemeralEphemeral, ephemeralStatic);
  const encryptedNothing = crypto.seal(key, 0n, EMPTY, h);
  key.fill(0);
  message.set(encryptedNothing, RESPONSE.encryptedNothing);

  state.chainingKey.fill(0);
  state.chainingKey = chainingKey;
  crypto.hashInto(h, h, encryptedNothing);
  state.hash = h;
  ephemeral.raw.fill(0);
  state.localIndex = localIndex;
  state.stage = 'response-created';
  return message;
}

/**
 * The key schedule both sides run over a response (whitepaper 5.4.3): the
 * responder's ephemeral, the two DH results (wiped here) and the preshared key
 * give the next chaining key, the hash so far and the key for the empty payload.
 */
function responseKeys(
  crypto: HandshakeCrypto,
  state: HandshakeState,
  peer: HandshakePeer,
  responderEphemeral: Uint8Array,
  ephemeralEphemeral: Buffer,
  ephemeralStatic: Buffer,
): { chainingKey: Buffer; hash: Buffer; key: Buffer } {
  const c = crypto.kdf1(state.chainingKey, responderEphemeral);
  crypto.kdfInto(c, ephemeralEphemeral, c);
  crypto.kdfInto(c, ephemeralStatic, c);
  ephemeralEphemeral.fill(0);
  ephemeralStatic.fill(0);
  const [chainingKey, tau, key] = crypto.kdf3(c, peer.presharedKey);
  c.fill(0);
  const h = crypto.hash(state.hash, responderEphemeral);
  crypto.hashInto(h, h, tau);
  tau.fill(0);
  return { chainingKey, hash: h, key };
}

/** Consumes a response to our initiation; false if it does not authenticate. */
export function consumeResponse(context: HandshakeContext, peer: HandshakePeer, message: Uint8Array): boolean {
  const state = peer.handshake;
  if (state.stage !== 'initiation-created' || !state.localEphemeral) return false;
  const { crypto } = context;
  const remoteEphemeral = message.subarray(RESPONSE.ephemeral, RESPONSE.ephemeral + KEY_LENGTH);
  const prepared = crypto.importPublicKey(remoteEphemeral);
  const shared = prepared && crypto.dhPair(state.localEphemeral, prepared, context.privateKey, prepared);
  if (!shared) return false;
  const [ephemeralEphemeral, staticEphemeral] = shared;

  const {
    chainingKey,
    hash: h,
    key,
  } = responseKeys(crypto, state, peer, remoteEphemeral, ephemeralEphemeral, staticEphemeral);
  const encryptedNothing = message.subarray(RESPONSE.encryptedNothing, RESPONSE.encryptedNothing + TAG_LENGTH);
  const ok = crypto.open(key, 0n, encryptedNothing, h) !== undefined;
  key.fill(0);
  if (!ok) {
    chainingKey.fill(0);
    return false;
  }
  state.chainingKey.fill(0);
  state.chainingKey = chainingKey;
  crypto.hashInto(h, h, encryptedNothing);
  state.hash = h;
  state.remoteIndex = readUint32LE(message, RESPONSE.sender);
  state.stage = 'response-consumed';
  return true;
}

export interface SessionKeys {
  readonly sendKey: Buffer;
  readonly receiveKey: Buffer;
  readonly isInitiator: boolean;
  readonly localIndex: number;
  readonly remoteIndex: number;
}

/** Derives the transport keys from a completed handshake and wipes the handshake. */
export function deriveSession(crypto: HandshakeCrypto, peer: HandshakePeer): SessionKeys | undefined {
  const state = peer.handshake;
  let isInitiator: boolean;
  if (state.stage === 'response-consumed') isInitiator = true;
  else if (state.stage === 'response-created') isInitiator = false;
  else return undefined;
  const [first, second] = crypto.kdf2(state.chainingKey, EMPTY);
  const session: SessionKeys = {
    sendKey: isInitiator ? first : second,
    receiveKey: isInitiator ? second : first,
    isInitiator,
    localIndex: state.localIndex,
    remoteIndex: state.remoteIndex,
  };
  state.clear();
  return session;
}
