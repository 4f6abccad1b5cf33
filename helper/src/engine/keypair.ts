// Transport sessions. A peer holds up to three: the previous one (still accepted
// while packets in flight arrive), the current one (used to send) and, on the
// responder, the next one, which becomes current once the initiator uses it.
import { REJECT_AFTER_MESSAGES, REJECT_AFTER_TIME } from './constants.js';
import { ReplayFilter } from './replay.js';
import type { SessionKeys } from './noise.js';

export class Keypair {
  /** The nonce of the next packet sent. */
  sendCounter = 0n;
  readonly replay = new ReplayFilter();
  readonly sendKey: Buffer;
  readonly receiveKey: Buffer;
  readonly isInitiator: boolean;
  readonly localIndex: number;
  readonly remoteIndex: number;
  /** Set once the keys are wiped; messages already in flight under it are dropped. */
  destroyed = false;

  constructor(
    session: SessionKeys,
    /** Monotonic ms at derivation. */
    readonly created: number,
  ) {
    this.sendKey = session.sendKey;
    this.receiveKey = session.receiveKey;
    this.isInitiator = session.isInitiator;
    this.localIndex = session.localIndex;
    this.remoteIndex = session.remoteIndex;
  }

  canSend(now: number): boolean {
    return now - this.created < REJECT_AFTER_TIME && this.sendCounter < REJECT_AFTER_MESSAGES;
  }

  canReceive(now: number): boolean {
    return now - this.created < REJECT_AFTER_TIME;
  }

  destroy(): void {
    this.destroyed = true;
    this.sendKey.fill(0);
    this.receiveKey.fill(0);
  }
}

export class Keypairs {
  previous: Keypair | undefined;
  current: Keypair | undefined;
  next: Keypair | undefined;

  constructor(private readonly onDrop: (keypair: Keypair) => void) {}

  /**
   * Installs a freshly derived session. The initiator may use it at once; the
   * responder must wait for the initiator's first packet to know it arrived.
   */
  install(keypair: Keypair): void {
    if (keypair.isInitiator) {
      const oldPrevious = this.previous;
      if (this.next) {
        this.previous = this.next;
        this.next = undefined;
        this.drop(this.current);
      } else {
        this.previous = this.current;
      }
      this.drop(oldPrevious);
      this.current = keypair;
    } else {
      this.drop(this.next);
      this.next = keypair;
      this.drop(this.previous);
      this.previous = undefined;
    }
  }

  /** Called on every authenticated packet; true when it confirmed the next keypair. */
  confirm(received: Keypair): boolean {
    if (received !== this.next) return false;
    this.drop(this.previous);
    this.previous = this.current;
    this.current = this.next;
    this.next = undefined;
    return true;
  }

  clear(): void {
    this.drop(this.previous);
    this.drop(this.current);
    this.drop(this.next);
    this.previous = this.current = this.next = undefined;
  }

  private drop(keypair: Keypair | undefined): void {
    if (!keypair) return;
    this.onDrop(keypair);
    keypair.destroy();
  }
}
