// The engine's receive path under planned datagrams. Two devices, A and B, keep
// a session over the in-memory network of the unit tests, in virtual time;
// each input lets time pass (timers fire, background handshakes and keepalives
// flow) and then hands one datagram to one device. Genuine messages must be
// taken: data delivered byte for byte, handshakes answered. Every other datagram
// must be dropped and counted exactly once, with nothing delivered and nothing
// thrown. Transport messages are judged against a model of the replay window,
// kept for each of B's sessions. Every fourth stretch of inputs B is under load,
// so that cookies and the rate limiter are in play.
import assert from 'node:assert/strict';
import type { DropReason } from '../../helper/src/engine/device.js';
import { MAC_LENGTH } from '../../helper/src/crypto/blake2s.js';
import { NEEDS_COOKIE } from '../../helper/src/crypto/handshake-crypto.js';
import { MAX_STAGED_PACKETS, REJECT_AFTER_MESSAGES } from '../../helper/src/engine/constants.js';
import type { Keypair } from '../../helper/src/engine/keypair.js';
import {
  COOKIE_REPLY_SIZE,
  INITIATION,
  MESSAGE_COOKIE_REPLY,
  MESSAGE_INITIATION,
  MESSAGE_RESPONSE,
  MESSAGE_TRANSPORT,
  RESPONSE,
  TRANSPORT,
  readCounter,
  readUint32LE,
} from '../../helper/src/engine/messages.js';
import type { Peer } from '../../helper/src/engine/peer.js';
import { RATELIMITER_MAX_ENTRIES } from '../../helper/src/engine/ratelimiter.js';
import { COUNTER_WINDOW_SIZE } from '../../helper/src/engine/replay.js';
import { sendInitiation } from '../../helper/src/engine/send.js';
import { formatEndpoint, parseEndpoint, sameEndpoint, type Endpoint } from '../../helper/src/net/ip.js';
import { NaiveReplayFilter } from '../unit/support/naive-replay-filter.js';
import { VirtualNetwork, type Node } from '../unit/support/virtual-network.js';
import {
  edgeCounter,
  forgeTransport,
  garbage,
  generatePlan,
  mutateDatagram,
  plaintext,
  tunnelPacket,
  withMac1,
  type EngineAction,
  type EnginePlan,
  type PlaintextChoice,
} from './engine-generator.js';
import { toHex } from './mutate.js';
import { Random } from './random.js';
import {
  ENOUGH_FOR_REACH,
  ENOUGH_FOR_SHARES,
  missingTags,
  type FuzzTarget,
  type FuzzTargetModule,
  type RunStats,
} from './target.js';

/** A fresh pair of devices for every stretch of this many inputs, so that no run depends on one long history. */
const SEGMENT_INPUTS = 1_000;
const UNDER_LOAD_EVERY = 4;
const TUNNEL = { a: { v4: '10.0.0.1', v6: 'fd00::1' }, b: { v4: '10.0.0.2', v6: 'fd00::2' } };
const REMEMBERED = 64;

type Expectation =
  /** Exactly one drop counter goes up by one (one of `reasons`, if given), and nothing is delivered. */
  | { readonly kind: 'drop'; readonly reasons?: readonly DropReason[] }
  /** This packet is written to the TUN, and nothing is dropped. */
  | { readonly kind: 'deliver'; readonly packet: Uint8Array }
  /** Taken without a packet to deliver (a handshake, a keepalive, a cookie), nothing dropped. */
  | { readonly kind: 'take' }
  /** A genuine handshake message a busy or wary responder may still refuse, with one of `reasons`. */
  | { readonly kind: 'take-or-drop'; readonly reasons: readonly DropReason[] };

const drop = (...reasons: DropReason[]): Expectation => ({ kind: 'drop', ...(reasons.length > 0 ? { reasons } : {}) });

interface Step {
  readonly datagram: Uint8Array;
  readonly to: 'a' | 'b';
  /** Where it comes from; the other device of the pair unless said. */
  readonly from?: Endpoint;
  readonly expectation: Expectation;
  /**
   * Sealed under a live session: if it opens, the peer is updated (endpoint,
   * counters, session) before its packet is checked and perhaps dropped.
   */
  readonly authentic?: boolean;
  /** Called when the device took the datagram (dropped nothing), to remember it for replays. */
  readonly taken?: () => void;
}

interface EngineInput {
  readonly kind: EnginePlan['kind'];
  readonly plan: EnginePlan;
  readonly segment: number;
}

const SPOOFED_SOURCE = parseEndpoint('203.0.113.66:6666')!;

/** What a datagram can change about a peer, with sessions by identity. */
function peerView(peer: Peer): unknown {
  const { previous, current, next } = peer.keypairs;
  return {
    endpoint: peer.endpoint && formatEndpoint(peer.endpoint),
    rxBytes: peer.rxBytes,
    sessions: [previous, current, next],
    handshake: [peer.handshakeIndex, peer.handshake.stage],
    lastHandshake: peer.lastHandshakeWallClock,
  };
}

function keypairsOf(peer: Peer): Keypair[] {
  return [peer.keypairs.previous, peer.keypairs.current, peer.keypairs.next].filter(
    (k): k is Keypair => k !== undefined,
  );
}

function liveIndices(peer: Peer): number[] {
  return [
    ...keypairsOf(peer).map((k) => k.localIndex),
    ...(peer.handshakeIndex === undefined ? [] : [peer.handshakeIndex]),
  ];
}

class Pair {
  readonly net = new VirtualNetwork();
  readonly a: Node;
  readonly b: Node;
  /** Knows B; B has never heard of it. */
  readonly stranger: Node;
  readonly atA: Peer;
  readonly atB: Peer;
  readonly atStranger: Peer;
  /** While a step is prepared and checked, nothing is delivered by the network. */
  private capturing = false;
  private readonly replayModels = new WeakMap<Keypair, NaiveReplayFilter>();
  /** Transport messages B took, for replays. */
  private readonly taken: Uint8Array[] = [];
  /** Initiations B took, for replays. */
  private readonly initiations: Uint8Array[] = [];
  private lastInitiationFromA: Uint8Array | undefined;
  needsSession = true;

  constructor(readonly underLoad: boolean) {
    this.a = this.net.addNode('a', '192.0.2.1:51820');
    this.b = this.net.addNode('b', '192.0.2.2:51820', underLoad ? { underLoadThreshold: 0 } : {});
    this.stranger = this.net.addNode('stranger', '198.51.100.7:4000');
    this.atA = this.net.connect(this.a, this.b, [`${TUNNEL.b.v4}/32`, `${TUNNEL.b.v6}/128`]);
    this.atB = this.net.connect(this.b, this.a, [`${TUNNEL.a.v4}/32`, `${TUNNEL.a.v6}/128`]);
    this.atStranger = this.net.connect(this.stranger, this.b, [`${TUNNEL.b.v4}/32`]);
    // A's transport messages reach B only as the inputs under test, so that the replay models see all B gets.
    this.net.filter = (datagram, from) =>
      !this.capturing && !(from === this.a.endpoint && datagram[0] === MESSAGE_TRANSPORT);
  }

  private node(name: 'a' | 'b'): Node {
    return name === 'a' ? this.a : this.b;
  }

  /** Whether A has a session other than `old` that B knows too. */
  private newSessionUp(old: Keypair | undefined): boolean {
    const keypair = this.atA.keypairs.current;
    return (
      keypair !== undefined &&
      keypair !== old &&
      keypair.canSend(this.net.clock.now()) &&
      this.b.device.indices.get(keypair.remoteIndex)?.keypair !== undefined
    );
  }

  /** Starts a handshake now, past the once-per-REKEY_TIMEOUT limit that would otherwise make the input wait. */
  private initiate(node: Node, peer: Peer): void {
    peer.lastSentHandshake = -Infinity;
    sendInitiation(node.device, peer, false);
    node.device.flush();
  }

  /** A new session through the network, the handshake retried (for a cookie, past the rate limit) until it completes. */
  establish(): void {
    const old = this.atA.keypairs.current;
    for (let attempt = 0; attempt < 6 && !this.newSessionUp(old); attempt++) {
      this.net.advance(attempt === 0 ? 25 : 300);
      this.initiate(this.a, this.atA);
      this.net.flush();
    }
    this.needsSession = !this.newSessionUp(old);
  }

  private replayModel(keypair: Keypair): NaiveReplayFilter {
    let model = this.replayModels.get(keypair);
    if (!model) this.replayModels.set(keypair, (model = new NaiveReplayFilter()));
    return model;
  }

  /** What B must do with a transport message that authenticates, judged from B's state before it arrives. */
  private expectTransport(datagram: Uint8Array, content: PlaintextChoice): Expectation {
    const keypair = this.b.device.indices.get(readUint32LE(datagram, TRANSPORT.receiver))?.keypair;
    if (!keypair) return drop('unknown-index');
    const counter = readCounter(datagram);
    if (!keypair.canReceive(this.net.clock.now()) || counter >= REJECT_AFTER_MESSAGES) return drop('expired-keypair');
    if (!this.replayModel(keypair).validate(counter, REJECT_AFTER_MESSAGES)) return drop('replay');
    switch (content.kind) {
      case 'packet':
        return { kind: 'deliver', packet: content.bytes };
      case 'keepalive':
        return { kind: 'take' };
      case 'not-ip':
      case 'truncated':
        return drop('malformed');
      case 'foreign-source':
        return drop('source-not-allowed');
    }
  }

  private freshHandshake(): Expectation {
    const reasons: DropReason[] = this.underLoad
      ? ['cookie-required', 'rate-limited', 'handshake-rejected']
      : ['handshake-rejected'];
    return { kind: 'take-or-drop', reasons };
  }

  private remember(list: Uint8Array[], datagram: Uint8Array): void {
    list.push(Uint8Array.from(datagram));
    if (list.length > REMEMBERED) list.shift();
  }

  private sentSince(node: Node, from: number): Uint8Array[] {
    return node.sent.slice(from).map((entry) => entry.datagram);
  }

  /** A's datagrams for a packet from its TUN: the transport message carrying it, or the initiation that must come first. */
  private sendData(random: Random): { datagram: Uint8Array; packet: Uint8Array } | undefined {
    const packet = tunnelPacket(random, TUNNEL.a, TUNNEL.b);
    const from = this.a.sent.length;
    this.a.device.handleTunPacket(packet);
    this.a.device.flush();
    const out = this.sentSince(this.a, from);
    // Packets staged before go out first: the one just read is in the last transport message.
    const datagram =
      out.filter((d) => d[0] === MESSAGE_TRANSPORT).pop() ?? out.find((d) => d[0] === MESSAGE_INITIATION);
    return datagram && { datagram, packet };
  }

  private initiationFrom(node: Node, peer: Peer): Uint8Array | undefined {
    const from = node.sent.length;
    this.initiate(node, peer);
    return this.sentSince(node, from).find((d) => d[0] === MESSAGE_INITIATION);
  }

  /**
   * A genuine message changed. Handshake messages get a valid MAC1 again now and
   * then, as a sender that knows the receiver's public key could make, so that
   * the change reaches the checks behind MAC1. What stays genuine: a change to
   * MAC2 alone where the receiver is not under load (only then does it read
   * MAC2), and, under a fresh MAC1, a change to the sender's index alone (only
   * MAC1 covers it).
   */
  private mutatedStep(
    random: Random,
    genuine: Uint8Array,
    to: 'a' | 'b',
    donors: readonly Uint8Array[],
    genuineExpectation: Expectation,
  ): Step {
    let datagram = mutateDatagram(random, genuine, donors);
    const mac1 =
      genuine[0] === MESSAGE_INITIATION ? INITIATION.mac1 : genuine[0] === MESSAGE_RESPONSE ? RESPONSE.mac1 : undefined;
    let stillGenuine = false;
    if (mac1 !== undefined && datagram.length === genuine.length) {
      const unchanged = (from: number, until: number) =>
        datagram.subarray(from, until).every((byte, i) => byte === genuine[from + i]);
      if (random.chance(0.4)) {
        datagram = withMac1(datagram, this.node(to).publicKey);
        stillGenuine = unchanged(0, 4) && unchanged(8, mac1);
      } else {
        stillGenuine = !(to === 'b' && this.underLoad) && unchanged(0, mac1 + MAC_LENGTH);
      }
    }
    const expectation = stillGenuine ? genuineExpectation : drop();
    return genuine[0] === MESSAGE_INITIATION && to === 'b'
      ? this.initiationStep(datagram, expectation)
      : { datagram, to, expectation };
  }

  private initiationStep(datagram: Uint8Array, expectation: Expectation): Step {
    return { datagram, to: 'b', expectation, taken: () => this.remember(this.initiations, datagram) };
  }

  private dataStep(sent: { datagram: Uint8Array; packet: Uint8Array }): Step {
    if (sent.datagram[0] === MESSAGE_INITIATION) return this.initiationStep(sent.datagram, this.freshHandshake());
    const expectation = this.expectTransport(sent.datagram, { kind: 'packet', bytes: sent.packet });
    // A's session is no use to B any more (B lost it, or a forged counter ran ahead of A's): start a new one.
    if (expectation.kind === 'drop') this.needsSession = true;
    return {
      datagram: sent.datagram,
      to: 'b',
      expectation,
      authentic: true,
      taken: () => this.remember(this.taken, sent.datagram),
    };
  }

  /** The datagram for the plan's action, built against the state now; undefined when the state offers none. */
  private prepare(action: EngineAction, random: Random): Step | undefined {
    switch (action) {
      case 'data': {
        const sent = this.sendData(random);
        return sent && this.dataStep(sent);
      }
      case 'mutated-data': {
        const sent = this.sendData(random);
        return sent && this.mutatedStep(random, sent.datagram, 'b', this.taken, this.freshHandshake());
      }
      case 'replay': {
        if (this.taken.length === 0) return undefined;
        const datagram = random.pick(this.taken);
        return {
          datagram,
          to: 'b',
          expectation: this.expectTransport(datagram, { kind: 'packet', bytes: new Uint8Array(0) }),
        };
      }
      case 'forged-counter': {
        const keypair = this.atA.keypairs.current;
        const theirs = keypair && this.b.device.indices.get(keypair.remoteIndex)?.keypair;
        if (!keypair || !theirs) return undefined;
        const model = this.replayModel(theirs);
        const counter = edgeCounter(random, keypair.sendCounter, model.greatestAccepted);
        const content = plaintext(random, TUNNEL.a, TUNNEL.b);
        const datagram = forgeTransport(keypair.sendKey, keypair.remoteIndex, counter, content.bytes);
        const expectation = this.expectTransport(datagram, content);
        if (model.greatestAccepted - keypair.sendCounter > BigInt(COUNTER_WINDOW_SIZE)) this.needsSession = true;
        return { datagram, to: 'b', expectation, authentic: true, taken: () => this.remember(this.taken, datagram) };
      }
      case 'initiation': {
        const datagram = this.initiationFrom(this.a, this.atA);
        return datagram && this.initiationStep(datagram, this.freshHandshake());
      }
      case 'mutated-initiation': {
        const genuine = this.initiationFrom(this.a, this.atA);
        return genuine && this.mutatedStep(random, genuine, 'b', this.initiations, this.freshHandshake());
      }
      case 'initiation-burst': {
        // The rate limiter lets five through at once; more come in the same millisecond.
        for (let i = random.int(4, 8); i > 0; i--) {
          const earlier = this.initiationFrom(this.a, this.atA);
          if (earlier) this.b.device.handleDatagram(earlier, this.a.endpoint);
          this.b.device.flush();
        }
        const datagram = this.initiationFrom(this.a, this.atA);
        return datagram && this.initiationStep(datagram, this.freshHandshake());
      }
      case 'replayed-initiation':
        return this.initiations.length === 0
          ? undefined
          : { datagram: random.pick(this.initiations), to: 'b', expectation: drop() };
      case 'response':
      case 'mutated-response': {
        const initiation = this.initiationFrom(this.a, this.atA);
        if (!initiation) return undefined;
        const from = this.b.sent.length;
        this.b.device.handleDatagram(initiation, this.a.endpoint);
        this.b.device.flush();
        const reply = this.sentSince(this.b, from).find(
          (d) => d[0] === MESSAGE_RESPONSE || d[0] === MESSAGE_COOKIE_REPLY,
        );
        if (!reply) return undefined;
        if (action === 'response') return { datagram: reply, to: 'a', expectation: { kind: 'take' } };
        return this.mutatedStep(random, reply, 'a', [], { kind: 'take' });
      }
      case 'cookie-reply': {
        const receivers = liveIndices(this.atA);
        const reply = new Uint8Array(COOKIE_REPLY_SIZE);
        const genuine =
          this.lastInitiationFromA &&
          this.b.device.cookieChecker?.check(
            this.lastInitiationFromA,
            this.a.endpoint,
            true,
            this.net.clock.now(),
            reply,
          ) === NEEDS_COOKIE
            ? reply
            : garbage(random, { liveIndices: receivers, publicKey: this.a.publicKey });
        return { datagram: mutateDatagram(random, genuine, []), to: 'a', expectation: drop() };
      }
      case 'garbage': {
        const to = random.chance(0.7) ? 'b' : 'a';
        const target =
          to === 'b'
            ? { liveIndices: liveIndices(this.atB), publicKey: this.b.publicKey }
            : { liveIndices: liveIndices(this.atA), publicKey: this.a.publicKey };
        return { datagram: garbage(random, target), to, expectation: drop() };
      }
      case 'stranger': {
        const datagram = this.initiationFrom(this.stranger, this.atStranger);
        return (
          datagram && {
            datagram,
            to: 'b',
            from: this.stranger.endpoint,
            expectation: drop('unknown-peer', 'cookie-required', 'rate-limited'),
          }
        );
      }
      case 'no-private-key': {
        const datagram = this.initiationFrom(this.a, this.atA);
        if (!datagram) return undefined;
        this.b.device.setPrivateKey(undefined);
        return { datagram, to: 'b', expectation: drop('no-private-key') };
      }
    }
  }

  /** Runs one input: returns what came of it, or throws when the device did not do what was expected. */
  run(plan: EnginePlan): { result: string; tags: string[] } {
    this.net.advance(plan.advanceMs);
    if (this.needsSession) this.establish();
    const random = new Random(plan.seed);
    const marks = [this.a, this.b, this.stranger].map((node) => node.sent.length);
    this.capturing = true;
    const step = this.prepare(plan.action, random);
    let result = 'nothing to send';
    const tags: string[] = [];
    if (step) {
      // Datagrams to be dropped come now and then from an address the peer never used, which they must not make it roam to.
      const spoofed = step.expectation.kind === 'drop' && step.from === undefined && random.chance(0.3);
      const source = spoofed ? SPOOFED_SOURCE : (step.from ?? (step.to === 'b' ? this.a.endpoint : this.b.endpoint));
      const { reason, delivered } = withDatagram(step, () => {
        const outcome = this.deliver(step, source);
        assertExpected(step.expectation, outcome.reason, outcome.delivered, plan.action);
        return outcome;
      });
      if (reason === undefined) step.taken?.();
      result = reason !== undefined ? 'dropped' : delivered ? 'delivered' : 'taken';
      if (reason) tags.push(`drop ${reason}`, `${plan.action} drop ${reason}`);
    }
    tags.push(`${plan.action} ${result}`);
    this.capturing = false;
    if (plan.action === 'no-private-key') {
      this.b.device.setPrivateKey(this.b.privateKey);
      this.needsSession = true;
    }
    this.deliverTheRest(marks, step?.datagram);
    this.assertBounded();
    return { result, tags };
  }

  private deliver(step: Step, source: Endpoint): { reason: DropReason | undefined; delivered: Uint8Array | undefined } {
    const node = this.node(step.to);
    const peer = step.to === 'b' ? this.atB : this.atA;
    const before = new Map(node.device.drops);
    const received = node.received.length;
    const peerBefore = peerView(peer);
    node.device.handleDatagram(step.datagram, source);
    node.device.flush();
    const changed = [...node.device.drops].filter(([reason, count]) => count !== (before.get(reason) ?? 0));
    assert.ok(changed.length <= 1, `more than one drop counter moved: ${JSON.stringify(changed)}`);
    const [moved] = changed;
    if (moved) assert.equal(moved[1] - (before.get(moved[0]) ?? 0), 1, `${moved[0]} counted more than once`);
    const packets = node.received.slice(received);
    assert.ok(packets.length <= 1, `${packets.length} packets delivered for one datagram`);
    // A datagram dropped before it opens must leave no trace on the peer: no roaming to its source, no new session, no bytes counted.
    const opened = step.authentic === true && (moved?.[0] === 'malformed' || moved?.[0] === 'source-not-allowed');
    if (moved && !opened)
      assert.deepEqual(peerView(peer), peerBefore, `${moved[0]}: a dropped datagram changed the peer`);
    return { reason: moved?.[0], delivered: packets[0] };
  }

  /** What the devices sent while the step was prepared and checked goes out now, but for the datagram under test and A's transport messages. */
  private deliverTheRest(marks: readonly number[], subject: Uint8Array | undefined): void {
    const nodes = [this.a, this.b, this.stranger];
    const pending: { datagram: Uint8Array; from: Endpoint; to: Endpoint }[] = [];
    nodes.forEach((node, i) => {
      for (const { datagram, to } of node.sent.slice(marks[i])) {
        if (node === this.a && datagram[0] === MESSAGE_INITIATION) this.lastInitiationFromA = datagram;
        if (datagram === subject || (node === this.a && datagram[0] === MESSAGE_TRANSPORT)) continue;
        pending.push({ datagram, from: node.endpoint, to });
      }
    });
    for (const { datagram, from, to } of pending) {
      const target = nodes.find((node) => sameEndpoint(node.endpoint, to));
      target?.device.handleDatagram(datagram, from);
      target?.device.flush();
    }
    this.net.flush();
    for (const node of nodes) {
      node.sent.length = 0;
      node.received.length = 0;
    }
  }

  /** Whatever arrives, the state a device keeps stays within fixed bounds. */
  private assertBounded(): void {
    for (const [node, peers] of [
      [this.a, [this.atA]],
      [this.b, [this.atB]],
      [this.stranger, [this.atStranger]],
    ] as const) {
      // Each peer: three sessions at most and a handshake under way.
      assert.ok(node.device.indices.size <= 4 * peers.length, `${node.name} holds ${node.device.indices.size} indices`);
      for (const peer of peers)
        assert.ok(peer.staged.length <= MAX_STAGED_PACKETS, `${peer.staged.length} packets staged`);
      assert.ok(node.device.rateLimiter.size <= RATELIMITER_MAX_ENTRIES);
    }
  }
}

/** Runs `check`; a failure names the datagram, which the plan alone cannot rebuild (it depends on the session's keys). */
function withDatagram<T>(step: Step, check: () => T): T {
  try {
    return check();
  } catch (error) {
    const datagram = `the datagram, to ${step.to}, ${step.datagram.length} bytes: ${toHex(step.datagram.subarray(0, 200))}`;
    if (error instanceof assert.AssertionError)
      throw new assert.AssertionError({ message: `${error.message}\n${datagram}` });
    throw new Error(`${(error as Error)?.stack ?? String(error)}\n${datagram}`);
  }
}

function assertExpected(
  expectation: Expectation,
  reason: DropReason | undefined,
  delivered: Uint8Array | undefined,
  action: EngineAction,
): void {
  const what = `${action}: ${reason ? `dropped as ${reason}` : delivered ? 'delivered' : 'taken'}`;
  switch (expectation.kind) {
    case 'drop':
      assert.ok(reason !== undefined, `${what}, but it should have been dropped`);
      if (expectation.reasons)
        assert.ok(expectation.reasons.includes(reason), `${what}, expected ${expectation.reasons.join(' or ')}`);
      assert.equal(delivered, undefined, `${what}: a dropped datagram delivered a packet`);
      return;
    case 'deliver':
      assert.equal(reason, undefined, `${what}, but it should have been delivered`);
      assert.ok(delivered, `${what}: nothing delivered`);
      assert.deepEqual(Uint8Array.from(delivered), expectation.packet, `${what}: not the packet sent`);
      return;
    case 'take':
      assert.equal(reason, undefined, `${what}, but it should have been taken`);
      assert.equal(delivered, undefined, `${what}: delivered a packet`);
      return;
    case 'take-or-drop':
      assert.ok(
        reason === undefined || expectation.reasons.includes(reason),
        `${what}, expected it taken or dropped as ${expectation.reasons.join(' or ')}`,
      );
      assert.equal(delivered, undefined, `${what}: delivered a packet`);
  }
}

function create(): FuzzTarget<EngineInput> {
  let pair: Pair | undefined;
  let segment = -1;
  return {
    generate: (random, index) => {
      const plan = generatePlan(random);
      return { kind: plan.kind, plan, segment: Math.floor(index / SEGMENT_INPUTS) };
    },
    check: (input) => {
      if (!pair || segment !== input.segment) {
        segment = input.segment;
        pair = new Pair(segment % UNDER_LOAD_EVERY === UNDER_LOAD_EVERY - 1);
      }
      return pair.run(input.plan);
    },
    describe: (input) =>
      `${input.kind} ${input.plan.action} after ${input.plan.advanceMs} ms (seed ${input.plan.seed}, segment ${input.segment})`,
  };
}

function checkRun(stats: RunStats): void {
  if (stats.inputs < ENOUGH_FOR_SHARES) return;
  const count = (tag: string) => stats.tags[tag] ?? 0;
  const data = count('data delivered') + count('data taken') + count('data dropped') + count('data nothing to send');
  assert.ok(count('data delivered') >= 0.8 * data, `only ${count('data delivered')} of ${data} packets delivered`);
  const initiations = count('initiation taken') + count('initiation dropped') + count('initiation nothing to send');
  assert.ok(
    count('initiation taken') >= 0.6 * initiations,
    `only ${count('initiation taken')} of ${initiations} initiations taken`,
  );
  if (stats.inputs >= ENOUGH_FOR_REACH) {
    const reasons: DropReason[] = [
      'malformed',
      'unknown-index',
      'expired-keypair',
      'decrypt',
      'replay',
      'mac1',
      'cookie-required',
      'rate-limited',
      'unknown-peer',
      'handshake-rejected',
      'no-private-key',
      'source-not-allowed',
    ];
    assert.deepEqual(
      missingTags(
        stats,
        reasons.map((reason) => `drop ${reason}`),
      ),
      [],
      'drop reasons no datagram produced',
    );
  }
}

export const engineTarget: FuzzTargetModule = {
  name: 'engine',
  title: 'engine receive path: Device.handleDatagram for every message type',
  create,
  checkRun,
};
