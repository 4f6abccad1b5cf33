// The per-peer timers of whitepaper section 6, as deadlines in virtual time,
// and what each does when it expires (as wireguard-go's timers.go). The event
// methods are named after the moments the protocol arms or clears them; the
// device asks for the earliest deadline and fires what is due.
import { KEEPALIVE_TIMEOUT, MAX_TIMER_HANDSHAKES, REJECT_AFTER_TIME, REKEY_TIMEOUT } from './constants.js';
import type { Device } from './device.js';
import type { Peer } from './peer.js';
import { sendInitiation, sendKeepalive } from './send.js';
import type { Scheduled, TimerQueue } from './timer-queue.js';

export type TimerName =
  'retransmitHandshake' | 'sendKeepalive' | 'newHandshake' | 'zeroKeyMaterial' | 'persistentKeepalive';

export const TIMER_NAMES: readonly TimerName[] = [
  'retransmitHandshake',
  'sendKeepalive',
  'newHandshake',
  'zeroKeyMaterial',
  'persistentKeepalive',
];

export class PeerTimers implements Scheduled {
  scheduledAt = Infinity;
  heapIndex = -1;
  private readonly deadlines: Record<TimerName, number> = {
    retransmitHandshake: Infinity,
    sendKeepalive: Infinity,
    newHandshake: Infinity,
    zeroKeyMaterial: Infinity,
    persistentKeepalive: Infinity,
  };
  handshakeAttempts = 0;
  needAnotherKeepalive = false;
  /** Seconds; 0 is off. */
  persistentKeepaliveInterval = 0;

  constructor(
    readonly peer: Peer,
    private readonly queue: TimerQueue<PeerTimers>,
    private readonly jitter: () => number,
  ) {}

  isPending(name: TimerName): boolean {
    return this.deadlines[name] !== Infinity;
  }

  deadline(name: TimerName): number {
    return this.deadlines[name];
  }

  set(name: TimerName, at: number): void {
    this.deadlines[name] = at;
    this.queue.schedule(this, at);
  }

  clear(name: TimerName): void {
    this.deadlines[name] = Infinity;
  }

  clearAll(): void {
    for (const name of TIMER_NAMES) this.deadlines[name] = Infinity;
    this.queue.remove(this);
  }

  nextDeadline(): number {
    let next = Infinity;
    for (const name of TIMER_NAMES) next = Math.min(next, this.deadlines[name]);
    return next;
  }

  /** Timers due at `now`, cleared as they are returned. */
  takeExpired(now: number): TimerName[] {
    const expired: TimerName[] = [];
    for (const name of TIMER_NAMES) {
      if (this.deadlines[name] <= now) {
        this.deadlines[name] = Infinity;
        expired.push(name);
      }
    }
    return expired;
  }

  /** A data packet (not a keepalive) was sent: expect an answer within the timeout. */
  dataSent(now: number): void {
    if (!this.isPending('newHandshake'))
      this.set('newHandshake', now + KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + this.jitter());
  }

  /** A data packet was received: answer with a keepalive if nothing else goes out. */
  dataReceived(now: number): void {
    if (!this.isPending('sendKeepalive')) this.set('sendKeepalive', now + KEEPALIVE_TIMEOUT);
    else this.needAnotherKeepalive = true;
  }

  anyAuthenticatedPacketSent(): void {
    this.clear('sendKeepalive');
  }

  anyAuthenticatedPacketReceived(): void {
    this.clear('newHandshake');
  }

  anyAuthenticatedPacketTraversal(now: number): void {
    if (this.persistentKeepaliveInterval > 0)
      this.set('persistentKeepalive', now + this.persistentKeepaliveInterval * 1000);
  }

  handshakeInitiated(now: number): void {
    this.set('retransmitHandshake', now + REKEY_TIMEOUT + this.jitter());
  }

  handshakeComplete(): void {
    this.clear('retransmitHandshake');
    this.handshakeAttempts = 0;
  }

  sessionDerived(now: number): void {
    this.set('zeroKeyMaterial', now + REJECT_AFTER_TIME * 3);
  }
}

/** No response to our initiation: retry, or after MAX_TIMER_HANDSHAKES give up and drop what waited. */
function expiredRetransmitHandshake(device: Device, peer: Peer, now: number): void {
  if (peer.timers.handshakeAttempts > MAX_TIMER_HANDSHAKES) {
    device.log(
      'verbose',
      `${peer.name}: handshake did not complete after ${MAX_TIMER_HANDSHAKES + 2} attempts, giving up`,
    );
    peer.staged = [];
    device.forgetHandshake(peer);
    if (!peer.timers.isPending('zeroKeyMaterial')) peer.timers.set('zeroKeyMaterial', now + REJECT_AFTER_TIME * 3);
    return;
  }
  peer.timers.handshakeAttempts++;
  device.log('verbose', `${peer.name}: handshake did not complete after ${REKEY_TIMEOUT / 1000} s, retrying`);
  sendInitiation(device, peer, true);
}

/** We received data and sent nothing back: a keepalive says the session works. */
function expiredSendKeepalive(device: Device, peer: Peer, now: number): void {
  sendKeepalive(device, peer);
  if (peer.timers.needAnotherKeepalive) {
    peer.timers.needAnotherKeepalive = false;
    peer.timers.set('sendKeepalive', now + KEEPALIVE_TIMEOUT);
  }
}

/** We sent data and heard nothing back: the session may be dead, make a new one. */
function expiredNewHandshake(device: Device, peer: Peer): void {
  device.log(
    'verbose',
    `${peer.name}: no answer to data for ${(KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) / 1000} s, new handshake`,
  );
  sendInitiation(device, peer, false);
}

function expiredZeroKeyMaterial(device: Device, peer: Peer): void {
  device.log('verbose', `${peer.name}: no new session for ${(REJECT_AFTER_TIME * 3) / 1000} s, zeroing keys`);
  device.forgetHandshake(peer);
  peer.zeroKeyMaterial();
}

function expiredPersistentKeepalive(device: Device, peer: Peer): void {
  if (peer.timers.persistentKeepaliveInterval > 0) sendKeepalive(device, peer);
}

export function runPeerTimer(device: Device, peer: Peer, timer: TimerName): void {
  const now = device.clock.now();
  switch (timer) {
    case 'retransmitHandshake':
      return expiredRetransmitHandshake(device, peer, now);
    case 'sendKeepalive':
      return expiredSendKeepalive(device, peer, now);
    case 'newHandshake':
      return expiredNewHandshake(device, peer);
    case 'zeroKeyMaterial':
      return expiredZeroKeyMaterial(device, peer);
    case 'persistentKeepalive':
      return expiredPersistentKeepalive(device, peer);
  }
}
