// The sending side: packets from the TUN are routed to a peer, staged, and sent
// under its current session; without one, a handshake is started.
import type { TransportBatch } from '../crypto/transport-batch.js';
import type { Endpoint } from '../net/ip.js';
import { PADDING_MULTIPLE, REKEY_AFTER_MESSAGES, REKEY_AFTER_TIME, REKEY_TIMEOUT } from './constants.js';
import type { Device } from './device.js';
import { destinationUnreachable, packetAddresses } from './ip-packet.js';
import {
  COOKIE_REPLY_SIZE,
  MESSAGE_TRANSPORT,
  TRANSPORT,
  TRANSPORT_HEADER_SIZE,
  writeCounter,
  writeHeader,
  writeUint32LE,
} from './messages.js';
import { createInitiation } from './noise.js';
import type { Keypair } from './keypair.js';
import type { Peer } from './peer.js';

export function handleTunPacket(device: Device, packet: Uint8Array): void {
  const at = packetAddresses(packet);
  if (!at) {
    device.drop('malformed');
    return;
  }
  const peer = device.allowedIps.lookup(at.family, packet, at.destinationOffset);
  if (!peer || !peer.endpoint) {
    device.drop(peer ? 'no-endpoint' : 'no-route');
    const answer = destinationUnreachable(packet);
    if (answer) device.writePacket(answer);
    return;
  }
  const keypair = peer.keypairs.current;
  const now = device.clock.now();
  if (peer.staged.length === 0 && keypair?.canSend(now)) {
    // The common case: straight into the seal batch, which copies it once.
    sendTransport(device, peer, keypair, packet);
    peer.timers.dataSent(now);
    keepKeyFreshSending(device, peer, keypair, now);
    return;
  }
  if (!peer.stage(packet)) device.drop('staged-overflow');
  sendStaged(device, peer);
}

/** Sends every staged packet under the current session, or starts a handshake for one. */
export function sendStaged(device: Device, peer: Peer): void {
  const now = device.clock.now();
  const keypair = peer.keypairs.current;
  if (!keypair || !keypair.canSend(now) || !peer.endpoint) {
    sendInitiation(device, peer, false);
    return;
  }
  const packets = peer.staged;
  peer.staged = [];
  let sentData = false;
  for (const packet of packets) {
    if (!keypair.canSend(now)) {
      // Exhausted mid-batch: keep the rest for the next session.
      peer.staged.push(packet);
      continue;
    }
    sendTransport(device, peer, keypair, packet);
    if (packet.length > 0) sentData = true;
  }
  if (sentData) peer.timers.dataSent(now);
  keepKeyFreshSending(device, peer, keypair, now);
  if (peer.staged.length > 0) sendInitiation(device, peer, false);
}

/**
 * A packet is padded up to a multiple of 16 bytes, unless that would take it
 * past the MTU: then it goes as it is. The kernel pads such a packet up to the
 * MTU of the route it took, which a userspace engine cannot see; a route whose
 * MTU lies below the link's would then carry a packet larger than it allows.
 */
export function paddedLength(length: number, mtu: number): number {
  const padded = Math.ceil(length / PADDING_MULTIPLE) * PADDING_MULTIPLE;
  return padded > mtu ? length : padded;
}

function sendTransport(device: Device, peer: Peer, keypair: Keypair, packet: Uint8Array): void {
  const length = paddedLength(packet.length, device.mtu);
  const datagramLength = TRANSPORT_HEADER_SIZE + length + 16;
  device.sealQueue.add(peer.endpoint!, keypair, keypair.sendCounter++, packet, length);
  peer.txBytes += datagramLength;
  peer.timers.anyAuthenticatedPacketTraversal(device.clock.now());
  peer.timers.anyAuthenticatedPacketSent();
}

/** Handshake and cookie messages: sent at once, not batched. */
export function sendToPeer(device: Device, peer: Peer, datagram: Uint8Array): void {
  if (!peer.endpoint) return;
  peer.txBytes += datagram.length;
  device.sendDatagram(datagram, peer.endpoint);
}

/**
 * Transport messages waiting to be sealed: gathered into one batch per wake-up,
 * sealed by the device's crypto, then sent together.
 */
export class SealQueue {
  private batch: TransportBatch | undefined;
  private endpoints: Endpoint[] = [];

  constructor(private readonly device: Device) {}

  add(endpoint: Endpoint, keypair: Keypair, counter: bigint, packet: Uint8Array, paddedLength: number): void {
    if (this.batch && !this.batch.fits(paddedLength)) this.flush();
    const batch = (this.batch ??= this.device.transport.acquire());
    const index = batch.addSeal(keypair.sendKey, counter, packet, paddedLength);
    const frame = batch.frame(index);
    writeHeader(frame, MESSAGE_TRANSPORT);
    writeUint32LE(frame, TRANSPORT.receiver, keypair.remoteIndex);
    writeCounter(frame, counter);
    this.endpoints.push(endpoint);
  }

  flush(): void {
    const batch = this.batch;
    if (!batch) return;
    const endpoints = this.endpoints;
    this.batch = undefined;
    this.endpoints = [];
    this.device.transport.submit(batch, () => this.sealed(batch, endpoints));
  }

  private sealed(batch: TransportBatch, endpoints: Endpoint[]): void {
    const datagrams: Uint8Array[] = [];
    const to: Endpoint[] = [];
    for (let i = 0; i < batch.count; i++) {
      if (!batch.succeeded(i)) continue;
      datagrams.push(batch.frame(i));
      to.push(endpoints[i]!);
    }
    if (datagrams.length > 0) this.device.output.sendDatagrams(datagrams, to);
    this.device.transport.release(batch);
  }
}

/** Most cookie replies gathered before they are sent without waiting for the end of the wake-up. */
const MAX_QUEUED_COOKIE_REPLIES = 256;

/**
 * Cookie replies, gathered per wake-up and sent together: under a handshake
 * flood a server answers most initiations with one, and one send per reply
 * cost more than making it. Replies are written into buffers kept here.
 */
export class CookieReplyQueue {
  private readonly buffer = new Uint8Array(MAX_QUEUED_COOKIE_REPLIES * COOKIE_REPLY_SIZE);
  private readonly replies = Array.from({ length: MAX_QUEUED_COOKIE_REPLIES }, (_, i) =>
    this.buffer.subarray(i * COOKIE_REPLY_SIZE, (i + 1) * COOKIE_REPLY_SIZE),
  );
  private readonly endpoints: Endpoint[] = [];

  constructor(private readonly device: Device) {}

  /** Where the next reply goes; it is sent only once add() is called for it. */
  next(): Uint8Array {
    if (this.endpoints.length === MAX_QUEUED_COOKIE_REPLIES) this.flush();
    return this.replies[this.endpoints.length]!;
  }

  /** Queues the reply just written into next(), for `endpoint`. */
  add(endpoint: Endpoint): void {
    this.endpoints.push(endpoint);
  }

  flush(): void {
    const count = this.endpoints.length;
    if (count === 0) return;
    this.device.output.sendDatagrams(
      count === MAX_QUEUED_COOKIE_REPLIES ? this.replies : this.replies.slice(0, count),
      this.endpoints,
    );
    this.endpoints.length = 0;
  }
}

/** The initiator rekeys a session that has been used long or much. */
function keepKeyFreshSending(device: Device, peer: Peer, keypair: Keypair, now: number): void {
  if (
    keypair.isInitiator &&
    (now - keypair.created >= REKEY_AFTER_TIME || keypair.sendCounter >= REKEY_AFTER_MESSAGES)
  ) {
    sendInitiation(device, peer, false);
  }
}

/**
 * Starts (or, for a retry, repeats) a handshake, at most once per REKEY_TIMEOUT.
 * A fresh attempt resets the count that decides when to give up.
 */
export function sendInitiation(device: Device, peer: Peer, isRetry: boolean): void {
  const now = device.clock.now();
  if (!isRetry) peer.timers.handshakeAttempts = 0;
  if (now - peer.lastSentHandshake < REKEY_TIMEOUT) return;
  peer.resentWithCookie = false;
  writeInitiation(device, peer, now);
}

/**
 * Sends the initiation in progress again at once, now that the responder's
 * cookie gives it a valid MAC2, rather than when the retransmit timer fires
 * REKEY_TIMEOUT later (wireguard-go and the kernel wait): a handshake with a
 * server under load then takes one round trip more instead of five seconds.
 * Once per initiation the timers send, so that forged cookie replies (anyone
 * who sees our initiation can make one) cannot make us send more than twice
 * as many initiations as the protocol does.
 */
export function resendInitiationWithCookie(device: Device, peer: Peer): void {
  if (peer.resentWithCookie) return;
  peer.resentWithCookie = true;
  writeInitiation(device, peer, device.clock.now());
}

function writeInitiation(device: Device, peer: Peer, now: number): void {
  const context = device.handshakeContext;
  if (!context || !peer.endpoint) return;
  device.forgetHandshake(peer);
  const localIndex = device.indices.add({ peer, keypair: undefined });
  const message = createInitiation(context, peer, localIndex, device.clock.wallClock());
  if (!message) {
    device.indices.delete(localIndex);
    device.log('error', `${peer.name}: cannot create a handshake initiation (low-order key)`);
    return;
  }
  peer.handshakeIndex = localIndex;
  peer.lastSentHandshake = now;
  peer.lastInitiationTo = peer.endpoint;
  peer.cookies.addMacs(message, now);
  device.log('verbose', `${peer.name}: sending handshake initiation`);
  sendToPeer(device, peer, message);
  peer.timers.anyAuthenticatedPacketTraversal(now);
  peer.timers.anyAuthenticatedPacketSent();
  peer.timers.handshakeInitiated(now);
}

export function sendKeepalive(device: Device, peer: Peer): void {
  if (peer.staged.length === 0) peer.staged.push(new Uint8Array(0));
  sendStaged(device, peer);
}
