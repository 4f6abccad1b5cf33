// A peer: its configuration (keys, endpoint, keepalive) and protocol state
// (handshake, sessions, timers, packets waiting for a session, counters).
import type { Endpoint } from '../net/ip.js';
import type { HandshakeCrypto, PublicKey } from '../crypto/handshake-crypto.js';
import { CookieGenerator } from './cookie.js';
import { MAX_STAGED_PACKETS } from './constants.js';
import { Keypairs, type Keypair } from './keypair.js';
import { HandshakeState, type HandshakePeer } from './noise.js';
import { PeerTimers } from './timers.js';

export class Peer implements HandshakePeer {
  readonly publicKey: Uint8Array;
  /** How logs name the peer: the start of its public key, as wireguard-go does. */
  readonly name: string;
  readonly publicKeyObject: PublicKey | undefined;
  presharedKey: Uint8Array = new Uint8Array(32);
  staticStatic: Uint8Array | undefined;
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
  /** Whether the current initiation was already sent again on a cookie reply. */
  resentWithCookie = false;
  /** Set once a handshake for key freshness was sent near the end of a receiving session. */
  sentLastMinuteHandshake = false;
  /** Wall-clock ms of the latest completed handshake. */
  lastHandshakeWallClock: number | undefined;
  rxBytes = 0;
  txBytes = 0;

  constructor(crypto: HandshakeCrypto, publicKey: Uint8Array, onDropKeypair: (keypair: Keypair) => void, jitter: () => number) {
    this.publicKey = Uint8Array.from(publicKey);
    this.name = `peer(${Buffer.from(publicKey).toString('base64').slice(0, 4)}…)`;
    this.publicKeyObject = crypto.importPublicKey(publicKey);
    this.keypairs = new Keypairs(onDropKeypair);
    this.cookies = new CookieGenerator(crypto, publicKey);
    this.timers = new PeerTimers(jitter);
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
    this.presharedKey.fill(0);
    this.staticStatic?.fill(0);
  }
}
