// MAC1/MAC2 and cookie replies (whitepaper 5.4.7). The checker is the responder's
// side, one per device; the generator is the initiator's side, one per peer.
import {
  NEEDS_COOKIE,
  type FillRandom,
  type HandshakeCrypto,
  type HandshakeMacsOutcome,
} from '../crypto/handshake-crypto.js';
import { offHeapBuffer } from '../crypto/off-heap.js';
import { MAC_LENGTH, TAG_LENGTH, XNONCE_LENGTH } from '../crypto/sizes.js';
import type { Endpoint } from '../net/ip.js';
import { COOKIE_REFRESH_TIME, COOKIE_SECRET_MAX_AGE, LABEL_COOKIE, LABEL_MAC1 } from './constants.js';
import { COOKIE_REPLY } from './messages.js';

const encoder = new TextEncoder();
const MAC1_LABEL = encoder.encode(LABEL_MAC1);
const COOKIE_LABEL = encoder.encode(LABEL_COOKIE);
const COOKIE_SECRET_LENGTH = 32;
const EMPTY = new Uint8Array(0);

function mac1Offset(message: Uint8Array): number {
  return message.length - 2 * MAC_LENGTH;
}

function mac2Offset(message: Uint8Array): number {
  return message.length - MAC_LENGTH;
}

/**
 * The responder's side. A server under a handshake flood runs MAC1 on every
 * initiation and MAC2 and a cookie reply on most, so these allocate nothing:
 * the source, the cookie and the reply go into buffers kept for the purpose.
 */
export class CookieChecker {
  private readonly mac1Key: Uint8Array;
  private readonly cookieKey: Uint8Array;
  private secret: Uint8Array | undefined;
  private secretCreated = 0;
  /** What a cookie is bound to: the source address and port (IPv6 is the longest). */
  private readonly source = offHeapBuffer(16 + 2);
  /** The nonce for the next cookie reply, drawn anew once one is used. */
  private readonly nonce = offHeapBuffer(XNONCE_LENGTH);
  private nonceUsed = true;

  constructor(
    private readonly crypto: HandshakeCrypto,
    localPublicKey: Uint8Array,
    private readonly random: FillRandom,
  ) {
    this.mac1Key = crypto.hash(MAC1_LABEL, localPublicKey);
    this.cookieKey = crypto.hash(COOKIE_LABEL, localPublicKey);
  }

  /**
   * The first look at a handshake message from `source`: MAC1, and when the
   * device is under load MAC2 as well, with the cookie reply for a sender
   * without one written into `reply` (COOKIE_REPLY_SIZE bytes). One call into
   * the crypto: under a flood this is all most messages get.
   */
  check(
    message: Uint8Array,
    source: Endpoint,
    underLoad: boolean,
    now: number,
    reply: Uint8Array,
  ): HandshakeMacsOutcome {
    if (!underLoad)
      return this.crypto.checkHandshakeMacs(message, this.mac1Key, EMPTY, EMPTY, this.cookieKey, this.nonce, reply);
    this.refreshSecret(now);
    if (this.nonceUsed) this.random(this.nonce);
    const outcome = this.crypto.checkHandshakeMacs(
      message,
      this.mac1Key,
      this.sourceBytes(source),
      this.secret!,
      this.cookieKey,
      this.nonce,
      reply,
    );
    this.nonceUsed = outcome === NEEDS_COOKIE;
    return outcome;
  }

  private refreshSecret(now: number): void {
    if (this.secret && now - this.secretCreated < COOKIE_SECRET_MAX_AGE) return;
    this.secret ??= offHeapBuffer(COOKIE_SECRET_LENGTH);
    this.random(this.secret);
    this.secretCreated = now;
  }

  /** The source's address and port as a cookie is made of them, in a buffer kept for it. */
  private sourceBytes(source: Endpoint): Uint8Array {
    const length = source.bytes.length;
    this.source.set(source.bytes);
    this.source[length] = source.port >> 8;
    this.source[length + 1] = source.port & 0xff;
    return this.source.subarray(0, length + 2);
  }

  destroy(): void {
    this.secret?.fill(0);
    this.secret = undefined;
  }
}

/** The initiator's side, one per peer; its keys are made when the peer first handshakes. */
export class CookieGenerator {
  private keys: { readonly mac1: Uint8Array; readonly cookie: Uint8Array } | undefined;
  private cookie: Uint8Array | undefined;
  private cookieReceived = 0;
  private lastMac1: Uint8Array | undefined;

  constructor(
    private readonly crypto: HandshakeCrypto,
    private readonly remotePublicKey: Uint8Array,
  ) {}

  private get mac1Key(): Uint8Array {
    return (this.keys ??= this.deriveKeys()).mac1;
  }

  private get cookieKey(): Uint8Array {
    return (this.keys ??= this.deriveKeys()).cookie;
  }

  private deriveKeys(): { readonly mac1: Uint8Array; readonly cookie: Uint8Array } {
    return {
      mac1: this.crypto.hash(MAC1_LABEL, this.remotePublicKey),
      cookie: this.crypto.hash(COOKIE_LABEL, this.remotePublicKey),
    };
  }

  /** Fills in MAC1, and MAC2 when a fresh cookie is at hand. */
  addMacs(message: Uint8Array, now: number): void {
    const offset1 = mac1Offset(message);
    const mac1 = this.crypto.mac(this.mac1Key, message.subarray(0, offset1));
    message.set(mac1, offset1);
    this.lastMac1 = mac1;
    const offset2 = mac2Offset(message);
    if (this.cookie && now - this.cookieReceived < COOKIE_REFRESH_TIME) {
      message.set(this.crypto.mac(this.cookie, message.subarray(0, offset2)), offset2);
    } else {
      message.fill(0, offset2);
    }
  }

  /** Takes the cookie from a reply to our last handshake message; false if it does not decrypt. */
  consumeReply(reply: Uint8Array, now: number): boolean {
    if (!this.lastMac1) return false;
    const nonce = reply.subarray(COOKIE_REPLY.nonce, COOKIE_REPLY.nonce + XNONCE_LENGTH);
    const sealed = reply.subarray(COOKIE_REPLY.encryptedCookie, COOKIE_REPLY.encryptedCookie + MAC_LENGTH + TAG_LENGTH);
    const cookie = this.crypto.xopen(this.cookieKey, nonce, sealed, this.lastMac1);
    if (!cookie) return false;
    this.cookie?.fill(0);
    this.cookie = cookie;
    this.cookieReceived = now;
    return true;
  }

  destroy(): void {
    this.cookie?.fill(0);
    this.cookie = undefined;
  }
}
