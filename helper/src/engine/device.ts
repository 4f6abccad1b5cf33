// The WireGuard device as a sans-I/O state machine: packets from the TUN and
// datagrams from the network go in, with the time; datagrams, TUN packets and a
// next deadline come out. The driver owns the sockets, the TUN and the clock,
// and hands in the crypto and the randomness, so that nothing here is ambient.
import type { FillRandom, HandshakeCrypto, PrivateKey } from '../crypto/handshake-crypto.js';
import type { TransportCrypto } from '../crypto/transport-crypto.js';
import { equalBytes, sameEndpoint, type Endpoint } from '../net/ip.js';
import { AllowedIps } from './allowed-ips.js';
import { CookieChecker } from './cookie.js';
import { REKEY_TIMEOUT_JITTER_MAX, UNDER_LOAD_AFTER, UNDER_LOAD_THRESHOLD } from './constants.js';
import { IndexTable } from './index-table.js';
import type { Keypair } from './keypair.js';
import { Peer, type PeerContext } from './peer.js';
import { RateLimiter } from './ratelimiter.js';
import type { HandshakeContext } from './noise.js';
import { HANDSHAKE_QUEUE_SIZE, HandshakeQueue } from './handshake-queue.js';
import { handleNetworkChange } from './network-change.js';
import { handleDatagram, OpenQueue, processHandshakes } from './receive.js';
import { CookieReplyQueue, handleTunPacket, SealQueue } from './send.js';
import { runPeerTimer, type PeerTimers } from './timers.js';
import { TimerQueue } from './timer-queue.js';

export interface DeviceOutput {
  /**
   * Datagrams for the network. The buffers are lent for the call only (they are
   * views into a crypto batch that is reused afterwards): send or copy them now.
   */
  sendDatagrams(datagrams: readonly Uint8Array[], endpoints: readonly Endpoint[]): void;
  /** IP packets for the TUN, lent for the call only, like sendDatagrams. */
  writePackets(packets: readonly Uint8Array[]): void;
}

export interface DeviceClock {
  /**
   * Monotonic milliseconds, for every protocol timer. The runtime counts them
   * on the boot-time clock, which runs on through a suspend, so that keys age
   * while the machine sleeps, as the kernel's do.
   */
  now(): number;
  /** Milliseconds since the Unix epoch, for handshake timestamps and `latest handshake`. */
  wallClock(): number;
}

export type LogLevel = 'verbose' | 'error';

export interface DeviceOptions {
  readonly clock: DeviceClock;
  readonly output: DeviceOutput;
  /** The primitives of handshakes and cookies. */
  readonly crypto: HandshakeCrypto;
  /** Where transport messages are sealed and opened, in batches. */
  readonly transport: TransportCrypto;
  /** Keys, indices, cookie secrets and timer jitter all come from here. */
  readonly random: FillRandom;
  readonly log?: (level: LogLevel, message: string) => void;
  /** Handshake messages per second above which cookies are demanded. */
  readonly underLoadThreshold?: number;
  /** An authenticated message came from another address or port than the peer's endpoint (or it had none). */
  readonly onPeerRoamed?: (peer: Peer) => void;
}

export type DropReason =
  | 'malformed'
  | 'unknown-index'
  | 'expired-keypair'
  | 'decrypt'
  | 'replay'
  | 'mac1'
  | 'cookie-required'
  | 'rate-limited'
  | 'handshake-queue-full'
  | 'unknown-peer'
  | 'handshake-rejected'
  | 'no-private-key'
  | 'no-route'
  | 'no-endpoint'
  | 'source-not-allowed'
  | 'staged-overflow';

export interface IndexEntry {
  readonly peer: Peer;
  /** Absent while the index names a handshake in progress. */
  readonly keypair: Keypair | undefined;
}

/**
 * A map key for a public key: its bytes as a latin1 string, measured at about
 * half the cost of hex. Not a view through `key.buffer`: for a small array on
 * V8's heap, asking for its buffer moves it off the heap, which costs more.
 */
function mapKey(key: Uint8Array): string {
  return Buffer.from(key).toString('latin1');
}

/** Draws 32-bit random numbers, four bytes of the random source at a time. */
function uint32Source(random: FillRandom): () => number {
  const word = new Uint32Array(1);
  const bytes = new Uint8Array(word.buffer);
  return () => {
    random(bytes);
    return word[0]!;
  };
}

export class Device {
  readonly clock: DeviceClock;
  readonly output: DeviceOutput;
  readonly crypto: HandshakeCrypto;
  readonly random: FillRandom;
  readonly log: (level: LogLevel, message: string) => void;
  readonly allowedIps = new AllowedIps<Peer>();
  readonly indices: IndexTable<IndexEntry>;
  readonly rateLimiter = new RateLimiter();
  readonly drops = new Map<DropReason, number>();
  readonly transport: TransportCrypto;
  readonly sealQueue: SealQueue;
  readonly openQueue: OpenQueue;
  readonly cookieReplies: CookieReplyQueue;
  readonly handshakes = new HandshakeQueue();
  /** Every peer with a timer armed, by when it is due. */
  readonly timers = new TimerQueue<PeerTimers>();
  /** Plaintext packets padded up to this (the TUN's MTU). */
  mtu = 1420;
  /** Our static key with what every handshake runs on; undefined without a private key. */
  handshakeContext: HandshakeContext | undefined;
  cookieChecker: CookieChecker | undefined;
  private readonly peersByKey = new Map<string, Peer>();
  private readonly underLoadThreshold: number;
  private handshakeWindowStart = 0;
  private handshakesInWindow = 0;
  private underLoadUntil = -Infinity;
  private readonly randomUint32: () => number;
  private readonly peerContext: PeerContext;
  readonly peerRoamed: (peer: Peer) => void;

  constructor(options: DeviceOptions) {
    this.clock = options.clock;
    this.output = options.output;
    this.crypto = options.crypto;
    this.random = options.random;
    this.log = options.log ?? (() => {});
    this.underLoadThreshold = options.underLoadThreshold ?? UNDER_LOAD_THRESHOLD;
    this.peerRoamed = options.onPeerRoamed ?? (() => {});
    this.transport = options.transport;
    this.sealQueue = new SealQueue(this);
    this.openQueue = new OpenQueue(this);
    this.cookieReplies = new CookieReplyQueue(this);
    this.randomUint32 = uint32Source(options.random);
    this.indices = new IndexTable<IndexEntry>(this.randomUint32);
    this.peerContext = {
      crypto: this.crypto,
      timers: this.timers,
      dropKeypair: (keypair) => this.indices.delete(keypair.localIndex),
      jitter: () => this.randomUint32() % REKEY_TIMEOUT_JITTER_MAX,
      staticStatic: (peer) =>
        this.privateKey && peer.publicKeyObject ? this.crypto.dh(this.privateKey, peer.publicKeyObject) : undefined,
    };
  }

  get privateKey(): PrivateKey | undefined {
    return this.handshakeContext?.privateKey;
  }

  get peers(): IterableIterator<Peer> {
    return this.peersByKey.values();
  }

  get publicKey(): Uint8Array | undefined {
    return this.privateKey?.publicKey;
  }

  drop(reason: DropReason): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }

  /** Sets (or with undefined, removes) the static private key. Sessions under the old key end. */
  setPrivateKey(raw: Uint8Array | undefined): void {
    const next = raw && this.crypto.importPrivateKey(raw);
    if (next && this.privateKey && equalBytes(next.raw, this.privateKey.raw)) {
      next.raw.fill(0);
      return;
    }
    this.privateKey?.raw.fill(0);
    this.cookieChecker?.destroy();
    this.handshakeContext = next && { privateKey: next, crypto: this.crypto, random: this.random };
    this.cookieChecker = next && new CookieChecker(this.crypto, next.publicKey, this.random);
    for (const peer of [...this.peers]) {
      // A peer with our own public key would be talking to itself.
      if (next && equalBytes(peer.publicKey, next.publicKey)) {
        this.removePeer(peer);
        continue;
      }
      this.resetPeerSessions(peer);
      peer.forgetStaticStatic();
    }
  }

  getPeer(publicKey: Uint8Array): Peer | undefined {
    return this.peersByKey.get(mapKey(publicKey));
  }

  /** The peer with this key, created if it does not exist; undefined for our own key. */
  addPeer(publicKey: Uint8Array): Peer | undefined {
    const existing = this.getPeer(publicKey);
    if (existing) return existing;
    if (this.privateKey && equalBytes(publicKey, this.privateKey.publicKey)) return undefined;
    const peer = new Peer(publicKey, this.peerContext);
    this.peersByKey.set(mapKey(publicKey), peer);
    return peer;
  }

  removePeer(peer: Peer): void {
    if (this.peersByKey.get(mapKey(peer.publicKey)) !== peer) return;
    this.peersByKey.delete(mapKey(peer.publicKey));
    this.allowedIps.removeValue(peer);
    this.forgetHandshake(peer);
    peer.destroy();
  }

  removeAllPeers(): void {
    for (const peer of [...this.peers]) this.removePeer(peer);
  }

  setPresharedKey(peer: Peer, key: Uint8Array): void {
    peer.destroyPresharedKey();
    peer.presharedKey = Uint8Array.from(key);
  }

  /** Drops the handshake in progress and its index. */
  forgetHandshake(peer: Peer): void {
    if (peer.handshakeIndex !== undefined) this.indices.delete(peer.handshakeIndex);
    peer.handshakeIndex = undefined;
    peer.handshake.clear();
  }

  /**
   * Ends the peer's sessions. As the kernel's and wireguard-go's do, this also
   * forgets when the last initiation went out: sessions under a new key must
   * not wait out the REKEY_TIMEOUT of an initiation made under the old one.
   */
  resetPeerSessions(peer: Peer): void {
    this.forgetHandshake(peer);
    peer.keypairs.clear();
    peer.handshake.latestTimestamp.fill(0);
    peer.lastSentHandshake = -Infinity;
  }

  /** The kernel refused this endpoint's sticky source (the address went away): send from any. */
  forgetStickySource(endpoint: Endpoint): void {
    for (const peer of this.peers) {
      if (peer.endpoint && sameEndpoint(peer.endpoint, endpoint)) {
        peer.endpoint = { family: endpoint.family, bytes: endpoint.bytes, port: endpoint.port };
      }
    }
  }

  /**
   * Forgets the sticky source of every peer whose endpoint `stale` says no
   * longer holds (routing changed under it); returns how many.
   */
  forgetStickySources(stale: (endpoint: Endpoint) => boolean): number {
    let forgotten = 0;
    for (const peer of this.peers) {
      const endpoint = peer.endpoint;
      if (endpoint?.localAddress === undefined || !stale(endpoint)) continue;
      peer.endpoint = { family: endpoint.family, bytes: endpoint.bytes, port: endpoint.port };
      forgotten++;
    }
    return forgotten;
  }

  /** The way to the peers may have changed: re-handshake with every peer in use (network-change.ts). */
  networkChanged(everyPeer = false): number {
    return handleNetworkChange(this, everyPeer);
  }

  /**
   * Whether the device is under load: more handshake messages with a valid
   * MAC1 in the current second than the threshold, or a handshake queue an
   * eighth full (it is not keeping up), and for a second after either.
   */
  isUnderLoad(now: number): boolean {
    if (now - this.handshakeWindowStart >= 1000) {
      this.handshakeWindowStart = now;
      this.handshakesInWindow = 0;
    }
    if (this.handshakesInWindow >= this.underLoadThreshold || this.handshakes.length >= HANDSHAKE_QUEUE_SIZE / 8) {
      this.underLoadUntil = now + UNDER_LOAD_AFTER;
    }
    return now < this.underLoadUntil;
  }

  /** Counts a handshake message with a valid MAC1 towards the current second's. */
  countHandshake(now: number): void {
    if (now - this.handshakeWindowStart >= 1000) {
      this.handshakeWindowStart = now;
      this.handshakesInWindow = 0;
    }
    this.handshakesInWindow++;
  }

  /**
   * A packet read from the TUN. Transport messages are gathered into batches:
   * call flush() after the last input of a wake-up.
   */
  handleTunPacket(packet: Uint8Array): void {
    handleTunPacket(this, packet);
  }

  /**
   * A datagram from the network; like handleTunPacket, flush() afterwards. The
   * datagram is lent for the call; the source endpoint may be kept (it becomes
   * the peer's endpoint when the peer roams), so the caller must not change it.
   */
  handleDatagram(datagram: Uint8Array, source: Endpoint): void {
    handleDatagram(this, datagram, source);
  }

  /** Hands the gathered transport messages to the crypto, which sends and delivers them when done. */
  flush(): void {
    processHandshakes(this);
    this.openQueue.flush();
    this.sealQueue.flush();
    this.cookieReplies.flush();
  }

  writePacket(packet: Uint8Array): void {
    this.output.writePackets([packet]);
  }

  sendDatagram(datagram: Uint8Array, endpoint: Endpoint): void {
    this.output.sendDatagrams([datagram], [endpoint]);
  }

  /** The earliest time at which runTimers has work to do; Infinity for none. */
  nextDeadline(): number {
    return Math.min(this.handshakes.nextDeadline(this.clock.now()), this.timers.nextDeadline);
  }

  runTimers(): void {
    const now = this.clock.now();
    // What is due now, taken first: a timer a handler arms for now runs at the next call.
    const due: PeerTimers[] = [];
    for (let timers = this.timers.takeDue(now); timers; timers = this.timers.takeDue(now)) due.push(timers);
    for (const timers of due) {
      for (const timer of timers.takeExpired(now)) runPeerTimer(this, timers.peer, timer);
      const next = timers.nextDeadline();
      if (next !== Infinity) this.timers.schedule(timers, next);
    }
    this.flush();
  }

  /** Wipes every key; the device is unusable afterwards. */
  close(): void {
    this.handshakes.clear();
    this.removeAllPeers();
    this.setPrivateKey(undefined);
  }
}
