// A peer: its configuration (keys, endpoint, keepalive) and protocol state
// (handshake, sessions, timers, packets waiting for a session, counters).
//
// A server may have 100,000 peers of which few ever talk, so a peer costs
// little until it does: what its handshakes need (the static-static secret,
// the cookie keys, the handshake's buffers) is made at its first handshake,
// and what every peer of a device shares comes from one PeerContext.
import type { Endpoint } from '../net/ip.js';
import type { HandshakeCrypto, PublicKey } from '../crypto/handshake-crypto.js';
import { KEY_LENGTH } from '../crypto/sizes.js';
import { CookieGenerator } from './cookie.js';
import { MAX_STAGED_PACKETS } from './constants.js';
import { Keypairs, type Keypair } from './keypair.js';
import { HandshakeState, type HandshakePeer } from './noise.js';
import { PeerTimers } from './timers.js';
import type { TimerQueue } from './timer-queue.js';

/** What the peers of one device share. */
export interface PeerContext {
  readonly crypto: HandshakeCrypto;
  readonly timers: TimerQueue<PeerTimers>;
  /** A session of some peer was dropped: its index is free again. */
  dropKeypair(keypair: Keypair): void;
  /** Random milliseconds added to timeouts, so that peers do not retry in lockstep. */
  jitter(): number;
  /** DH(our static key, the peer's), or undefined without a private key or for a low-order key. */
  staticStatic(peer: Peer): Buffer | undefined;
}

/** Shared by every peer without a preshared key; only ever replaced, never written. */
const NO_PRESHARED_KEY = new Uint8Array(KEY_LENGTH);

export class Peer implements HandshakePeer {
  readonly publicKey: Uint8Array;
  readonly publicKeyObject: PublicKey | undefined;
  presharedKey: Uint8Array = NO_PRESHARED_KEY;
  /** null until first needed, and again after the private key changes. */
  private staticStaticSecret: Buffer | undefined | null = null;
  endpoint: Endpoint | undefined;
  readonly handshake = new HandshakeState();
  /** The index under which the handshake in progress is registered, until it becomes a session. */
  handshakeIndex: number | undefined;
  readonly keypairs: Keypairs;
  readonly cookies: CookieGenerator;
  readonly timers: PeerTimers;
  /** Plaintext packets waiting for a usable session, oldest first. */
  staged: Uint8Array[] = [];
  /** Monotonic ms of the last initiation sent, to send at most one per REKEY_TIMEOUT. */
  lastSentHandshake = -Infinity;
  /** Where the last initiation went. */
  lastInitiationTo: Endpoint | undefined;
  /** Whether the current initiation was already sent again on a cookie reply. */
  resentWithCookie = false;
  /** Set once a handshake for key freshness was sent near the end of a receiving session. */
  sentLastMinuteHandshake = false;
  /** Wall-clock ms of the latest completed handshake. */
  lastHandshakeWallClock: number | undefined;
  rxBytes = 0;
  txBytes = 0;

  constructor(
    publicKey: Uint8Array,
    private readonly context: PeerContext,
  ) {
    this.publicKeyObject = context.crypto.importPublicKey(publicKey);
    this.publicKey = this.publicKeyObject?.raw ?? Uint8Array.from(publicKey);
    this.keypairs = new Keypairs(context.dropKeypair);
    this.cookies = new CookieGenerator(context.crypto, this.publicKey);
    this.timers = new PeerTimers(this, context.timers, context.jitter);
  }

  /** How logs name the peer: the start of its public key, as wireguard-go does. */
  get name(): string {
    return `peer(${Buffer.from(this.publicKey).toString('base64').slice(0, 4)}…)`;
  }

  staticStatic(): Uint8Array | undefined {
    if (this.staticStaticSecret === null) this.staticStaticSecret = this.context.staticStatic(this);
    return this.staticStaticSecret;
  }

  /** Wipes the preshared key, if it has one, and goes without. */
  destroyPresharedKey(): void {
    if (this.presharedKey !== NO_PRESHARED_KEY) this.presharedKey.fill(0);
    this.presharedKey = NO_PRESHARED_KEY;
  }

  /** Wipes the static-static secret; the next handshake makes it again (after a change of private key). */
  forgetStaticStatic(): void {
    this.staticStaticSecret?.fill(0);
    this.staticStaticSecret = null;
  }

  /** Keeps a copy: the caller's buffer may be reused once it returns. */
  stage(packet: Uint8Array): boolean {
    let dropped = false;
    if (this.staged.length >= MAX_STAGED_PACKETS) {
      this.staged.shift();
      dropped = true;
    }
    this.staged.push(packet.slice());
    return !dropped;
  }

  /** Forgets every session and handshake and wipes their keys. */
  zeroKeyMaterial(): void {
    this.keypairs.clear();
    this.handshake.clear();
  }

  destroy(): void {
    this.zeroKeyMaterial();
    this.timers.clearAll();
    this.staged = [];
    this.cookies.destroy();
    this.destroyPresharedKey();
    this.forgetStaticStatic();
  }
}
