// What arrives at a WireGuard device from the network, planned input by input:
// genuine messages of every type from a peer with a live session, the same
// with bytes flipped, cut or grown to the lengths at the edges of each type,
// replays, transport messages forged under the session's real key with
// counters at the edges of the replay window and of REJECT_AFTER_MESSAGES, and
// garbage that carries a valid MAC1 so that it gets past the first check. A
// plan is drawn from the input's own random stream; the datagram itself is
// built against the devices' state when the input runs (engine-target.ts).
import { LABEL_MAC1, REJECT_AFTER_MESSAGES, REKEY_AFTER_MESSAGES } from '../../helper/src/engine/constants.js';
import { seal } from '../../helper/src/crypto/aead.js';
import { hash, mac, MAC_LENGTH } from '../../helper/src/crypto/blake2s.js';
import {
  COOKIE_REPLY_SIZE,
  INITIATION_SIZE,
  MESSAGE_COOKIE_REPLY,
  MESSAGE_INITIATION,
  MESSAGE_RESPONSE,
  MESSAGE_TRANSPORT,
  RESPONSE_SIZE,
  TRANSPORT,
  TRANSPORT_HEADER_SIZE,
  writeCounter,
  writeHeader,
  writeUint32LE,
} from '../../helper/src/engine/messages.js';
import { COUNTER_WINDOW_SIZE } from '../../helper/src/engine/replay.js';
import { ipv4Packet, ipv6Packet } from '../unit/support/virtual-network.js';
import { concat, mutateBytes } from './mutate.js';
import type { Random } from './random.js';
import type { InputKind } from './target.js';

export type EngineAction =
  /** A's TUN hands it a packet for B; what A sends goes to B. */
  | 'data'
  | 'mutated-data'
  /** A transport message B accepted before, again. */
  | 'replay'
  /** A transport message sealed under A's session key with a counter of the plan's choosing. */
  | 'forged-counter'
  /** A fresh handshake initiation from A. */
  | 'initiation'
  | 'mutated-initiation'
  /** An initiation B accepted before, again. */
  | 'replayed-initiation'
  /** The last of a burst of fresh initiations from A, more than the rate limiter lets through. */
  | 'initiation-burst'
  /** What B answers a fresh initiation with (a response, or under load a cookie reply), to A. */
  | 'response'
  | 'mutated-response'
  /** Cookie replies to A that B never sent. */
  | 'cookie-reply'
  /** Datagrams of any type and length, some with a valid MAC1. */
  | 'garbage'
  /** An initiation from a device B has never heard of. */
  | 'stranger'
  /** An initiation to B while B has no private key. */
  | 'no-private-key';

const ACTIONS: readonly (readonly [number, EngineAction])[] = [
  [30, 'data'],
  [14, 'mutated-data'],
  [5, 'replay'],
  [10, 'forged-counter'],
  [6, 'initiation'],
  [6, 'mutated-initiation'],
  [3, 'replayed-initiation'],
  [2, 'initiation-burst'],
  [3, 'response'],
  [4, 'mutated-response'],
  [4, 'cookie-reply'],
  [10, 'garbage'],
  [2, 'stranger'],
  [1, 'no-private-key'],
];

const VALID_ACTIONS: ReadonlySet<EngineAction> = new Set(['data', 'initiation', 'response']);

/** Actions that make a handshake message: each waits out the 20 ms an initiation must keep from the last. */
const HANDSHAKE_ACTIONS: ReadonlySet<EngineAction> = new Set([
  'initiation',
  'mutated-initiation',
  'initiation-burst',
  'response',
  'mutated-response',
  'stranger',
  'no-private-key',
]);

export interface EnginePlan {
  readonly kind: InputKind;
  readonly action: EngineAction;
  /** Virtual time that passes before the input, timers firing on the way. */
  readonly advanceMs: number;
  /** Seeds the choices made against the state, so that they too repeat with the seed. */
  readonly seed: number;
}

export function generatePlan(random: Random): EnginePlan {
  const action = random.weighted(ACTIONS);
  const pause = random.weighted<() => number>([
    [975, () => random.int(0, 30)],
    [20, () => random.int(1_000, 20_000)],
    [5, () => random.int(100_000, 200_000)],
  ])();
  return {
    kind: VALID_ACTIONS.has(action) ? 'valid' : 'mutated',
    action,
    advanceMs: HANDSHAKE_ACTIONS.has(action) ? Math.max(pause, 25) : pause,
    seed: random.uint32(),
  };
}

/** What a forged or genuine transport message carries, and so what the receiver must do once it has opened it. */
export type Plaintext = 'packet' | 'keepalive' | 'not-ip' | 'foreign-source' | 'truncated';

export interface PlaintextChoice {
  readonly kind: Plaintext;
  readonly bytes: Uint8Array;
}

/** A packet from the sender's tunnel address to the receiver's, of either family, 0 to 1,400 bytes of payload. */
export function tunnelPacket(
  random: Random,
  source: { v4: string; v6: string },
  destination: { v4: string; v6: string },
): Uint8Array {
  const length = random.chance(0.1) ? random.pick([0, 1, 15, 16, 17, 1380]) : random.int(0, 1400);
  return random.chance(0.7)
    ? ipv4Packet(source.v4, destination.v4, length, random.int(0, 255))
    : ipv6Packet(source.v6, destination.v6, length);
}

export function plaintext(
  random: Random,
  source: { v4: string; v6: string },
  destination: { v4: string; v6: string },
): PlaintextChoice {
  const kind = random.weighted([
    [7, 'packet'],
    [1, 'keepalive'],
    [1, 'not-ip'],
    [1, 'foreign-source'],
    [1, 'truncated'],
  ] as const);
  switch (kind) {
    case 'packet':
      return { kind, bytes: tunnelPacket(random, source, destination) };
    case 'keepalive':
      return { kind, bytes: new Uint8Array(0) };
    case 'not-ip': {
      const bytes = random.bytes(random.int(1, 80));
      bytes[0] = random.pick([0x00, 0x10, 0x50, 0xf0]);
      return { kind, bytes };
    }
    case 'foreign-source':
      return { kind, bytes: ipv4Packet('10.9.9.9', destination.v4, random.int(0, 100)) };
    case 'truncated': {
      const packet = ipv4Packet(source.v4, destination.v4, random.int(0, 100));
      // The header claims more than the message holds.
      packet[2] = 0xff;
      return { kind, bytes: packet };
    }
  }
}

/**
 * A counter around the edges that matter: just ahead of the greatest accepted,
 * a window behind it and one more, a jump past the ring, the rekey and reject
 * limits and the end of the 64-bit space.
 */
export function edgeCounter(random: Random, next: bigint, greatest: bigint): bigint {
  const window = BigInt(COUNTER_WINDOW_SIZE);
  const base = greatest >= 0n ? greatest : next;
  const counter = random.weighted<() => bigint>([
    [6, () => next + BigInt(random.int(0, 3))],
    [3, () => base + BigInt(random.int(1, COUNTER_WINDOW_SIZE + 64))],
    [3, () => base - BigInt(random.int(0, COUNTER_WINDOW_SIZE + 64))],
    [1, () => base - window],
    [1, () => base - window - 1n],
    [1, () => base + 8192n],
    [1, () => base],
    [1, () => REKEY_AFTER_MESSAGES - 1n],
    [1, () => REJECT_AFTER_MESSAGES - 1n],
    [1, () => REJECT_AFTER_MESSAGES],
    [1, () => 2n ** 64n - 1n],
    [1, () => random.uint64()],
  ])();
  return counter < 0n ? 0n : counter & (2n ** 64n - 1n);
}

/** A transport message sealed as the protocol seals one (section 5.4.6), with any counter. */
export function forgeTransport(
  sendKey: Uint8Array,
  receiverIndex: number,
  counter: bigint,
  payload: Uint8Array,
): Uint8Array {
  const header = new Uint8Array(TRANSPORT_HEADER_SIZE);
  writeHeader(header, MESSAGE_TRANSPORT);
  writeUint32LE(header, TRANSPORT.receiver, receiverIndex);
  writeCounter(header, counter);
  return concat(header, seal(sendKey, counter, payload));
}

/** Sets MAC1 as a sender that knows the receiver's public key would (section 5.4.4). */
export function withMac1(message: Uint8Array, receiverPublicKey: Uint8Array): Uint8Array {
  const out = Uint8Array.from(message);
  const offset = out.length - 2 * MAC_LENGTH;
  out.set(mac(hash(new TextEncoder().encode(LABEL_MAC1), receiverPublicKey), out.subarray(0, offset)), offset);
  out.fill(0, offset + MAC_LENGTH);
  return out;
}

const TYPE_SIZES: Record<number, number> = {
  [MESSAGE_INITIATION]: INITIATION_SIZE,
  [MESSAGE_RESPONSE]: RESPONSE_SIZE,
  [MESSAGE_COOKIE_REPLY]: COOKIE_REPLY_SIZE,
};

/** Lengths one off each type's own, and the transport's bounds. */
const EDGE_LENGTHS = [
  0, 1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 91, 92, 93, 147, 148, 149, 1452, 1453, 9000, 65_535,
];

export interface GarbageTarget {
  /** Indices the receiver has live, so that garbage can name one. */
  readonly liveIndices: readonly number[];
  readonly publicKey: Uint8Array;
}

/** A datagram of any type and length; with a type's own length and a valid MAC1 now and then, to reach the checks behind MAC1. */
export function garbage(random: Random, target: GarbageTarget): Uint8Array {
  const type = random.pick([
    0,
    MESSAGE_INITIATION,
    MESSAGE_RESPONSE,
    MESSAGE_COOKIE_REPLY,
    MESSAGE_TRANSPORT,
    MESSAGE_TRANSPORT,
    5,
    0x80,
    0xff,
    random.int(0, 255),
  ]);
  const ownSize = TYPE_SIZES[type];
  const length = random.weighted<() => number>([
    [3, () => ownSize ?? random.int(32, 200)],
    [2, () => random.pick(EDGE_LENGTHS)],
    [1, () => random.int(0, 2000)],
  ])();
  const datagram = random.bytes(length);
  if (length >= 4) {
    writeHeader(datagram, type);
    if (random.chance(0.1)) datagram[random.int(1, 3)] = random.int(1, 255);
  }
  // Responses, cookie replies and transport messages name the receiver's index at offset 4, as do the others' sender fields.
  if (length >= 8 && target.liveIndices.length > 0 && random.chance(0.6))
    writeUint32LE(datagram, 4, random.pick(target.liveIndices));
  if (ownSize === length && random.chance(0.6)) return withMac1(datagram, target.publicKey);
  return datagram;
}

/** A genuine message changed in one to three places, or cut or grown to an edge length; never left equal to what it was. */
export function mutateDatagram(random: Random, datagram: Uint8Array, donors: readonly Uint8Array[]): Uint8Array {
  let out: Uint8Array;
  if (random.chance(0.2)) {
    const length = random.pick(EDGE_LENGTHS.filter((l) => l !== datagram.length));
    out =
      length <= datagram.length ? datagram.slice(0, length) : concat(datagram, random.bytes(length - datagram.length));
  } else {
    out = mutateBytes(random, datagram, 3, { maxLength: 65_535, donors }).bytes;
  }
  if (out.length === datagram.length && out.every((byte, i) => byte === datagram[i])) {
    out = Uint8Array.from(datagram);
    out[random.below(out.length)]! ^= 1 << random.int(0, 7);
  }
  return out;
}
