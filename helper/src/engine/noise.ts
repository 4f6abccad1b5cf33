// The Noise_IKpsk2 handshake (whitepaper 5.4.2–5.4.4) as pure functions over a
// per-peer HandshakeState. MACs and cookies are added by the caller (cookie.ts).
import { hash, hashInto, HASH_LENGTH } from '../crypto/blake2s.js';
import { offHeapBuffer } from '../crypto/off-heap.js';
import { kdf1, kdf2, kdf3, kdfInto } from '../crypto/kdf.js';
import { open, seal, TAG_LENGTH } from '../crypto/aead.js';
import { dh, dhPair, generatePrivateKey, importPublicKey, KEY_LENGTH, type PrivateKey, type PublicKey } from '../crypto/x25519.js';
import { CONSTRUCTION, HANDSHAKE_INITIATION_RATE, IDENTIFIER } from './constants.js';
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

const encoder = new TextEncoder();
const INITIAL_CHAIN_KEY = hash(encoder.encode(CONSTRUCTION));
const INITIAL_HASH = hash(INITIAL_CHAIN_KEY, encoder.encode(IDENTIFIER));
const EMPTY = new Uint8Array(0);

export type HandshakeStage = 'zeroed' | 'initiation-created' | 'initiation-consumed' | 'response-created' | 'response-consumed';

export class HandshakeState {
  stage: HandshakeStage = 'zeroed';
  chainingKey: Uint8Array = new Uint8Array(HASH_LENGTH);
  hash: Uint8Array = new Uint8Array(HASH_LENGTH);
  localEphemeral: PrivateKey | undefined;
  remoteEphemeral: PublicKey | undefined;
  localIndex = 0;
  remoteIndex = 0;
  /** The newest initiation timestamp accepted from this peer, against replays. */
  latestTimestamp: Uint8Array = new Uint8Array(TAI64N_LENGTH);
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
  readonly staticStatic: Uint8Array | undefined;
  readonly handshake: HandshakeState;
}

export interface LocalIdentity {
  readonly privateKey: PrivateKey;
}

function mixHash(h: Uint8Array, data: Uint8Array): Buffer {
  return hash(h, data);
}

/** HASH(INITIAL_HASH ‖ our static public key): the same for every initiation we receive, so made once per key. */
const responderHashes = new WeakMap<PrivateKey, Buffer>();

function responderInitialHash(identity: LocalIdentity): Buffer {
  let h = responderHashes.get(identity.privateKey);
  if (!h) {
    h = mixHash(INITIAL_HASH, identity.privateKey.publicKey);
    responderHashes.set(identity.privateKey, h);
  }
  return h;
}

/** Builds an initiation (MACs still zero) and records the state needed for the response. */
export function createInitiation(
  identity: LocalIdentity,
  peer: HandshakePeer,
  localIndex: number,
  wallClockMs: number,
): Uint8Array | undefined {
  if (!peer.staticStatic) return undefined;
  if (!peer.publicKeyObject) return undefined;
  const ephemeral = generatePrivateKey();
  const ephemeralShared = dh(ephemeral, peer.publicKeyObject);
  if (!ephemeralShared) return undefined;

  const message = new Uint8Array(INITIATION_SIZE);
  writeHeader(message, MESSAGE_INITIATION);
  writeUint32LE(message, INITIATION.sender, localIndex);
  message.set(ephemeral.publicKey, INITIATION.ephemeral);

  let h = mixHash(INITIAL_HASH, peer.publicKey);
  let c = kdf1(INITIAL_CHAIN_KEY, ephemeral.publicKey);
  h = mixHash(h, ephemeral.publicKey);

  let key: Buffer;
  [c, key] = kdf2(c, ephemeralShared);
  const encryptedStatic = seal(key, 0n, identity.privateKey.publicKey, h);
  message.set(encryptedStatic, INITIATION.encryptedStatic);
  h = mixHash(h, encryptedStatic);

  [c, key] = kdf2(c, peer.staticStatic);
  const encryptedTimestamp = seal(key, 0n, tai64n(wallClockMs), h);
  message.set(encryptedTimestamp, INITIATION.encryptedTimestamp);
  h = mixHash(h, encryptedTimestamp);
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

export function decodeInitiation(identity: LocalIdentity, message: Uint8Array): DecodedInitiation | undefined {
  const remoteEphemeralBytes = message.subarray(INITIATION.ephemeral, INITIATION.ephemeral + KEY_LENGTH);
  const remoteEphemeral = importPublicKey(remoteEphemeralBytes);
  const ephemeralShared = remoteEphemeral && dh(identity.privateKey, remoteEphemeral);
  if (!remoteEphemeral || !ephemeralShared) return undefined;

  // The hash and the chaining key are each mixed in place, in buffers of their own.
  const h = mixHash(responderInitialHash(identity), remoteEphemeralBytes);
  const c = offHeapBuffer(HASH_LENGTH);
  const key = offHeapBuffer(HASH_LENGTH);
  kdfInto(INITIAL_CHAIN_KEY, remoteEphemeralBytes, c);
  kdfInto(c, ephemeralShared, c, key);
  ephemeralShared.fill(0);
  const encryptedStatic = message.subarray(INITIATION.encryptedStatic, INITIATION.encryptedStatic + KEY_LENGTH + TAG_LENGTH);
  const remoteStatic = open(key, 0n, encryptedStatic, h);
  key.fill(0);
  if (!remoteStatic) {
    c.fill(0);
    return undefined;
  }
  hashInto(h, h, encryptedStatic);
  return { remoteStatic, chainingKey: c, hash: h, remoteEphemeral, senderIndex: readUint32LE(message, INITIATION.sender) };
}

export type InitiationRejection = 'no-static-static' | 'decrypt-failed' | 'replayed-timestamp' | 'flood';

/** The second half: decrypt the timestamp with the peer's keys and accept the initiation. */
export function acceptInitiation(
  peer: HandshakePeer,
  decoded: DecodedInitiation,
  message: Uint8Array,
  now: number,
): InitiationRejection | undefined {
  if (!peer.staticStatic) return 'no-static-static';
  const [c, key] = kdf2(decoded.chainingKey, peer.staticStatic);
  // The decoded initiation is of no use beyond this point, accepted or not.
  decoded.chainingKey.fill(0);
  const encryptedTimestamp = message.subarray(
    INITIATION.encryptedTimestamp,
    INITIATION.encryptedTimestamp + TAI64N_LENGTH + TAG_LENGTH,
  );
  const timestamp = open(key, 0n, encryptedTimestamp, decoded.hash);
  key.fill(0);
  if (!timestamp) return 'decrypt-failed';
  const state = peer.handshake;
  if (!isAfter(timestamp, state.latestTimestamp)) return 'replayed-timestamp';
  if (now - state.lastInitiationConsumed < HANDSHAKE_INITIATION_RATE) return 'flood';

  state.clear();
  state.chainingKey = c;
  hashInto(decoded.hash, decoded.hash, encryptedTimestamp);
  state.hash = decoded.hash;
  state.remoteEphemeral = decoded.remoteEphemeral;
  state.remoteIndex = decoded.senderIndex;
  state.latestTimestamp = timestamp;
  state.lastInitiationConsumed = now;
  state.stage = 'initiation-consumed';
  return undefined;
}

/** Builds the response (MACs still zero) to an accepted initiation. */
export function createResponse(identity: LocalIdentity, peer: HandshakePeer, localIndex: number): Uint8Array | undefined {
  const state = peer.handshake;
  if (state.stage !== 'initiation-consumed' || !state.remoteEphemeral || !peer.publicKeyObject) return undefined;
  const ephemeral = generatePrivateKey();
  const shared = dhPair(ephemeral, state.remoteEphemeral, ephemeral, peer.publicKeyObject);
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

  const { chainingKey, hash: h, key } = responseKeys(state, peer, ephemeral.publicKey, ephemeralEphemeral, ephemeralStatic);
  const encryptedNothing = seal(key, 0n, EMPTY, h);
  key.fill(0);
  message.set(encryptedNothing, RESPONSE.encryptedNothing);

  state.chainingKey.fill(0);
  state.chainingKey = chainingKey;
  hashInto(h, h, encryptedNothing);
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
  state: HandshakeState,
  peer: HandshakePeer,
  responderEphemeral: Uint8Array,
  ephemeralEphemeral: Buffer,
  ephemeralStatic: Buffer,
): { chainingKey: Buffer; hash: Buffer; key: Buffer } {
  const c = kdf1(state.chainingKey, responderEphemeral);
  kdfInto(c, ephemeralEphemeral, c);
  kdfInto(c, ephemeralStatic, c);
  ephemeralEphemeral.fill(0);
  ephemeralStatic.fill(0);
  const [chainingKey, tau, key] = kdf3(c, peer.presharedKey);
  c.fill(0);
  const h = mixHash(state.hash, responderEphemeral);
  hashInto(h, h, tau);
  tau.fill(0);
  return { chainingKey, hash: h, key };
}

/** Consumes a response to our initiation; false if it does not authenticate. */
export function consumeResponse(identity: LocalIdentity, peer: HandshakePeer, message: Uint8Array): boolean {
  const state = peer.handshake;
  if (state.stage !== 'initiation-created' || !state.localEphemeral) return false;
  const remoteEphemeral = message.subarray(RESPONSE.ephemeral, RESPONSE.ephemeral + KEY_LENGTH);
  const prepared = importPublicKey(remoteEphemeral);
  const shared = prepared && dhPair(state.localEphemeral, prepared, identity.privateKey, prepared);
  if (!shared) return false;
  const [ephemeralEphemeral, staticEphemeral] = shared;

  const { chainingKey, hash: h, key } = responseKeys(state, peer, remoteEphemeral, ephemeralEphemeral, staticEphemeral);
  const encryptedNothing = message.subarray(RESPONSE.encryptedNothing, RESPONSE.encryptedNothing + TAG_LENGTH);
  const ok = open(key, 0n, encryptedNothing, h) !== undefined;
  key.fill(0);
  if (!ok) {
    chainingKey.fill(0);
    return false;
  }
  state.chainingKey.fill(0);
  state.chainingKey = chainingKey;
  hashInto(h, h, encryptedNothing);
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
export function deriveSession(peer: HandshakePeer): SessionKeys | undefined {
  const state = peer.handshake;
  let isInitiator: boolean;
  if (state.stage === 'response-consumed') isInitiator = true;
  else if (state.stage === 'response-created') isInitiator = false;
  else return undefined;
  const [first, second] = kdf2(state.chainingKey, EMPTY);
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
