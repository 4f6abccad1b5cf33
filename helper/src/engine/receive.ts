// The receiving side: datagrams are classified by type; handshake messages pass
// the MAC1 check (and under load MAC2 and the rate limiter) before any DH work,
// under load as they arrive;
// transport messages are decrypted, checked against replay and against the
// peer's allowed IPs, and written to the TUN.
import { FAILS_MAC1, NEEDS_COOKIE } from '../crypto/handshake-crypto.js';
import type { TransportBatch } from '../crypto/transport-batch.js';
import type { Endpoint } from '../net/ip.js';
import { equalBytes, sameEndpoint } from '../net/ip.js';
import { KEEPALIVE_TIMEOUT, REJECT_AFTER_MESSAGES, REJECT_AFTER_TIME, REKEY_TIMEOUT } from './constants.js';
import type { Device } from './device.js';
import { packetAddresses } from './ip-packet.js';
import { Keypair } from './keypair.js';
import {
  COOKIE_REPLY,
  MESSAGE_COOKIE_REPLY,
  MESSAGE_INITIATION,
  MESSAGE_RESPONSE,
  MESSAGE_TRANSPORT,
  RESPONSE,
  TRANSPORT,
  messageType,
  readCounter,
  readUint32LE,
} from './messages.js';
import { acceptInitiation, consumeResponse, createResponse, decodeInitiation, deriveSession } from './noise.js';
import type { Peer } from './peer.js';
import { resendInitiationWithCookie, sendInitiation, sendKeepalive, sendStaged, sendToPeer } from './send.js';

export function handleDatagram(device: Device, datagram: Uint8Array, source: Endpoint): void {
  switch (messageType(datagram)) {
    case MESSAGE_INITIATION:
    case MESSAGE_RESPONSE:
      queueHandshake(device, datagram, source);
      return;
    case MESSAGE_COOKIE_REPLY:
      handleCookieReply(device, datagram);
      return;
    case MESSAGE_TRANSPORT:
      handleTransport(device, datagram, source);
      return;
    default:
      device.drop('malformed');
  }
}

/**
 * Under load (a flood, or a queue backing up) a handshake message is checked as
 * it arrives, not when its turn comes: MAC1, MAC2 and a cookie reply cost a
 * fraction of the DH, so every sender without a cookie is sent one at once,
 * however far behind the queue is, and only messages that proved their source
 * wait for their DH. Otherwise a legitimate initiation lost among a flood that
 * fills the queue would wait out its sender's retransmit timer.
 */
function queueHandshake(device: Device, message: Uint8Array, source: Endpoint): void {
  const checked = device.isUnderLoad(device.clock.now());
  if (checked && !passesHandshakeChecks(device, message, source)) return;
  if (!device.handshakes.push(message, source, checked)) device.drop('handshake-queue-full');
}

/**
 * Works through the queued handshake messages, oldest first, while the queue's
 * time credit lasts; what remains waits for the next wake-up (nextDeadline).
 */
export function processHandshakes(device: Device): void {
  const queue = device.handshakes;
  if (queue.length === 0) return;
  const start = device.clock.now();
  const available = queue.timeAvailable(start);
  let now = start;
  while (now - start < available) {
    const next = queue.take();
    if (!next) break;
    if (next.checked || passesHandshakeChecks(device, next.message, next.source)) {
      if (next.message[0] === MESSAGE_INITIATION) handleInitiation(device, next.message, next.source);
      else handleResponse(device, next.message, next.source);
    }
    now = device.clock.now();
  }
  queue.spend(now - start);
}

/**
 * MAC1 proves the sender knows our public key. Under load, MAC2 must also prove
 * it can receive at its source address, and each source is rate limited; a
 * sender without a valid MAC2 gets a cookie to compute it with.
 */
function passesHandshakeChecks(device: Device, message: Uint8Array, source: Endpoint): boolean {
  const checker = device.cookieChecker;
  if (!checker) {
    device.drop('no-private-key');
    return false;
  }
  const now = device.clock.now();
  const underLoad = device.isUnderLoad(now);
  const replies = device.cookieReplies;
  const outcome = checker.check(message, source, underLoad, now, replies.next());
  if (outcome === FAILS_MAC1) {
    device.drop('mac1');
    return false;
  }
  device.countHandshake(now);
  if (outcome === NEEDS_COOKIE) {
    device.drop('cookie-required');
    replies.add(source);
    return false;
  }
  if (underLoad && !device.rateLimiter.allow(source, now)) {
    device.drop('rate-limited');
    return false;
  }
  return true;
}

/** The peer is where its last authenticated message came from, and we answer from where it arrived. */
function roam(device: Device, peer: Peer, source: Endpoint): void {
  const current = peer.endpoint;
  if (current === source) return;
  const moved = !current || !sameEndpoint(current, source);
  if (moved || !sameStickySource(current, source)) peer.endpoint = source;
  if (moved) device.peerRoamed(peer);
}

function handleInitiation(device: Device, message: Uint8Array, source: Endpoint): void {
  const context = device.handshakeContext!;
  const decoded = decodeInitiation(context, message);
  if (!decoded) {
    device.drop('handshake-rejected');
    return;
  }
  const peer = device.getPeer(decoded.remoteStatic);
  if (!peer) {
    device.drop('unknown-peer');
    return;
  }
  const now = device.clock.now();
  const rejection = acceptInitiation(device.crypto, peer, decoded, message, now);
  if (rejection) {
    device.log('verbose', `${peer.name}: handshake initiation rejected: ${rejection}`);
    device.drop('handshake-rejected');
    return;
  }
  device.log('verbose', `${peer.name}: received handshake initiation`);
  peer.rxBytes += message.length;
  roam(device, peer, source);
  peer.timers.anyAuthenticatedPacketTraversal(now);
  peer.timers.anyAuthenticatedPacketReceived();

  if (peer.handshakeIndex !== undefined) device.indices.delete(peer.handshakeIndex);
  const localIndex = device.indices.add({ peer, keypair: undefined });
  peer.handshakeIndex = localIndex;
  const response = createResponse(context, peer, localIndex);
  const session = response && deriveSession(device.crypto, peer);
  peer.handshakeIndex = undefined;
  if (!response || !session) {
    device.indices.delete(localIndex);
    device.drop('handshake-rejected');
    return;
  }
  const keypair = new Keypair(session, now);
  device.indices.replace(localIndex, { peer, keypair });
  peer.keypairs.install(keypair);
  peer.timers.sessionDerived(now);
  peer.cookies.addMacs(response, now);
  device.log('verbose', `${peer.name}: sending handshake response`);
  sendToPeer(device, peer, response);
  peer.timers.anyAuthenticatedPacketTraversal(now);
  peer.timers.anyAuthenticatedPacketSent();
}

function handleResponse(device: Device, message: Uint8Array, source: Endpoint): void {
  const entry = device.indices.get(readUint32LE(message, RESPONSE.receiver));
  if (!entry || entry.keypair || entry.peer.handshakeIndex === undefined) {
    device.drop('unknown-index');
    return;
  }
  const peer = entry.peer;
  if (!consumeResponse(device.handshakeContext!, peer, message)) {
    device.drop('handshake-rejected');
    return;
  }
  const now = device.clock.now();
  device.log('verbose', `${peer.name}: received handshake response`);
  peer.rxBytes += message.length;
  roam(device, peer, source);
  peer.timers.anyAuthenticatedPacketTraversal(now);
  peer.timers.anyAuthenticatedPacketReceived();

  const localIndex = peer.handshakeIndex!;
  const session = deriveSession(device.crypto, peer)!;
  peer.handshakeIndex = undefined;
  const keypair = new Keypair(session, now);
  device.indices.replace(localIndex, { peer, keypair });
  peer.keypairs.install(keypair);
  peer.timers.sessionDerived(now);
  handshakeComplete(device, peer);
  // The responder may only use the session once it hears from us: say something.
  if (peer.staged.length === 0) sendKeepalive(device, peer);
  else sendStaged(device, peer);
}

function handshakeComplete(device: Device, peer: Peer): void {
  peer.timers.handshakeComplete();
  peer.lastHandshakeWallClock = device.clock.wallClock();
  peer.sentLastMinuteHandshake = false;
}

function handleCookieReply(device: Device, message: Uint8Array): void {
  const entry = device.indices.get(readUint32LE(message, COOKIE_REPLY.receiver));
  if (!entry) {
    device.drop('unknown-index');
    return;
  }
  if (!entry.peer.cookies.consumeReply(message, device.clock.now())) {
    device.drop('decrypt');
    return;
  }
  device.log('verbose', `${entry.peer.name}: received cookie reply`);
  // A responder under load answered our initiation with a cookie: send it again with MAC2 now.
  if (!entry.keypair && entry.peer.handshakeIndex === readUint32LE(message, COOKIE_REPLY.receiver))
    resendInitiationWithCookie(device, entry.peer);
}

function handleTransport(device: Device, datagram: Uint8Array, source: Endpoint): void {
  const entry = device.indices.get(readUint32LE(datagram, TRANSPORT.receiver));
  const keypair = entry?.keypair;
  if (!entry || !keypair) {
    device.drop('unknown-index');
    return;
  }
  const counter = readCounter(datagram);
  if (!keypair.canReceive(device.clock.now()) || counter >= REJECT_AFTER_MESSAGES) {
    device.drop('expired-keypair');
    return;
  }
  device.openQueue.add(entry.peer, keypair, counter, datagram, source);
}

interface OpenContext {
  readonly peer: Peer;
  readonly keypair: Keypair;
  readonly counter: bigint;
  readonly source: Endpoint;
}

/**
 * Transport messages waiting to be opened: gathered per wake-up, opened by the
 * device's crypto, then checked and delivered in the order they arrived.
 */
export class OpenQueue {
  private batch: TransportBatch | undefined;
  private contexts: OpenContext[] = [];

  constructor(private readonly device: Device) {}

  add(peer: Peer, keypair: Keypair, counter: bigint, datagram: Uint8Array, source: Endpoint): void {
    if (this.batch && !this.batch.fits(datagram.length)) this.flush();
    const batch = (this.batch ??= this.device.transport.acquire());
    batch.addOpen(keypair.receiveKey, counter, datagram);
    this.contexts.push({ peer, keypair, counter, source });
  }

  flush(): void {
    const batch = this.batch;
    if (!batch) return;
    const contexts = this.contexts;
    this.batch = undefined;
    this.contexts = [];
    this.device.transport.submit(batch, () => this.opened(batch, contexts));
  }

  private opened(batch: TransportBatch, contexts: OpenContext[]): void {
    const device = this.device;
    const deliveries: Uint8Array[] = [];
    for (let i = 0; i < batch.count; i++) {
      if (!batch.succeeded(i)) {
        device.drop('decrypt');
        continue;
      }
      const packet = accept(device, contexts[i]!, batch.plaintext(i), batch.frame(i).length);
      if (packet) deliveries.push(packet);
    }
    if (deliveries.length > 0) device.output.writePackets(deliveries);
    device.transport.release(batch);
    // Confirming a session may have released staged packets.
    device.sealQueue.flush();
  }
}

function sameStickySource(a: Endpoint, b: Endpoint): boolean {
  if (!a.localAddress || !b.localAddress) return a.localAddress === b.localAddress;
  return a.localInterface === b.localInterface && equalBytes(a.localAddress, b.localAddress);
}

/** The checks that need an authenticated message; returns the packet to deliver, if any. */
function accept(
  device: Device,
  context: OpenContext,
  plaintext: Uint8Array,
  datagramLength: number,
): Uint8Array | undefined {
  const { peer, keypair, counter, source } = context;
  if (keypair.destroyed) {
    device.drop('expired-keypair');
    return undefined;
  }
  if (!keypair.replay.validate(counter, REJECT_AFTER_MESSAGES)) {
    device.drop('replay');
    return undefined;
  }
  const now = device.clock.now();
  if (peer.keypairs.confirm(keypair)) {
    handshakeComplete(device, peer);
    sendStaged(device, peer);
  }
  keepKeyFreshReceiving(device, peer, now);
  roam(device, peer, source);
  peer.rxBytes += datagramLength;
  peer.timers.anyAuthenticatedPacketReceived();
  peer.timers.anyAuthenticatedPacketTraversal(now);
  if (plaintext.length === 0) return undefined; // keepalive
  const at = packetAddresses(plaintext);
  if (!at) {
    device.drop('malformed');
    return undefined;
  }
  if (device.allowedIps.lookup(at.family, plaintext, at.sourceOffset) !== peer) {
    device.drop('source-not-allowed');
    return undefined;
  }
  peer.timers.dataReceived(now);
  return plaintext.subarray(0, at.length);
}

/**
 * An initiator whose session is about to expire for receiving starts a new
 * handshake once, so the responder's data is not cut off (whitepaper 6.2).
 */
function keepKeyFreshReceiving(device: Device, peer: Peer, now: number): void {
  const current = peer.keypairs.current;
  if (peer.sentLastMinuteHandshake || !current?.isInitiator) return;
  if (now - current.created >= REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT) {
    peer.sentLastMinuteHandshake = true;
    sendInitiation(device, peer, false);
  }
}
