// The connection doctor: when a tunnel gets no handshake or carries nothing,
// it finds out why from evidence it gathers itself, and names one cause in
// plain words with what to check. The checks run in the order a packet meets
// the problems (the name, the route, the server, the way back, the size of
// packets, DNS), and the first that fails is the verdict: a later one cannot
// be judged while an earlier one fails.
import type { PeerConfig, WgQuickConfig } from '../../config/index.js';
import { keyToBase64 } from '../../config/index.js';
import { equalBytes, formatEndpoint, formatIpAddress, type Endpoint, type IpAddress } from '../../net/ip.js';
import type { Diagnosis, DiagnosisCause } from '../../rpc/index.js';
import type { UapiDeviceState } from '../../uapi/model.js';
import type { TunnelEngine } from '../tunnel-engine.js';
import type { DoctorProbes } from './probes.js';
import { pingTarget } from './ping-target.js';

/** How long the doctor waits for a handshake it asked for: one REKEY_TIMEOUT and a little. */
export const HANDSHAKE_WAIT_MS = 6_000;
/** A handshake younger than this counts as working (a session lives 180 s, rekeyed at 120). */
export const RECENT_HANDSHAKE_MS = 180_000;
const POLL_MS = 100;
const SMALL_ECHO_BYTES = 84;
/** The MTU search stops when it knows the limit to within this. */
const MTU_PRECISION = 8;

export interface DoctorSubject {
  readonly name: string;
  readonly config: WgQuickConfig;
  /** Absent for a tunnel that is not up. */
  readonly engine?: TunnelEngine;
  /** Why it is not up, when it failed. */
  readonly error?: string;
  readonly publicKey?: Uint8Array;
  /** Where the doctor should ping inside the tunnel, if the user says. */
  readonly target?: IpAddress;
}

interface Verdict {
  readonly cause: DiagnosisCause;
  readonly summary: string;
  readonly advice: string;
  readonly suggestedMtu?: number;
}

class Evidence {
  readonly lines: string[] = [];
  add(line: string): void {
    this.lines.push(line);
  }
}

function peerLabel(peer: PeerConfig): string {
  return `peer ${keyToBase64(peer.publicKey).slice(0, 8)}…`;
}

function latestHandshake(state: UapiDeviceState, peer: PeerConfig): number | undefined {
  for (const each of state.peers) {
    if (!equalBytes(each.publicKey, peer.publicKey)) continue;
    const at = each.lastHandshake;
    return at && at.sec > 0 ? at.sec * 1000 + Math.floor(at.nsec / 1e6) : undefined;
  }
  return undefined;
}

function transfer(state: UapiDeviceState): { rx: bigint; tx: bigint } {
  let rx = 0n;
  let tx = 0n;
  for (const peer of state.peers) {
    rx += peer.rxBytes;
    tx += peer.txBytes;
  }
  return { rx, tx };
}

export class ConnectionDoctor {
  constructor(
    private readonly probes: DoctorProbes,
    private readonly now: () => number = Date.now,
  ) {}

  async diagnose(subject: DoctorSubject): Promise<Diagnosis> {
    const evidence = new Evidence();
    const verdict = await this.examine(subject, evidence);
    return {
      tunnel: subject.name,
      at: this.now(),
      cause: verdict.cause,
      summary: verdict.summary,
      advice: verdict.advice,
      evidence: evidence.lines,
      ...(subject.publicKey ? { publicKey: keyToBase64(subject.publicKey) } : {}),
      ...(verdict.suggestedMtu === undefined ? {} : { suggestedMtu: verdict.suggestedMtu }),
    };
  }

  private async examine(subject: DoctorSubject, evidence: Evidence): Promise<Verdict> {
    const endpoints = new Map<PeerConfig, Endpoint>();
    for (const peer of subject.config.peers) {
      const endpoint = peer.endpoint;
      if (!endpoint) continue;
      if (endpoint.kind === 'address') {
        endpoints.set(peer, endpoint.address);
        continue;
      }
      try {
        const address = await this.probes.resolve(endpoint.host);
        evidence.add(`${endpoint.host} resolves to ${formatIpAddress(address)}`);
        endpoints.set(peer, { ...address, port: endpoint.port });
      } catch (error) {
        evidence.add(`looking up ${endpoint.host}: ${(error as Error).message}`);
        return {
          cause: 'endpoint-unresolved',
          summary: `The server's name ${endpoint.host} does not resolve.`,
          advice: `Check the spelling of Endpoint = ${endpoint.host}:${endpoint.port}, and that this network's DNS works (try another network, or the server's IP address instead of its name).`,
        };
      }
    }
    const engine = subject.engine;
    if (!engine) {
      return {
        cause: 'not-active',
        summary: `The tunnel is not up${subject.error ? `: ${subject.error}` : '.'}`,
        advice: 'Activate it, then run the doctor again if it still does not connect.',
      };
    }
    const mark = engine.state().fwmark;
    for (const [peer, endpoint] of endpoints) {
      const problem = this.probes.routeProblem(endpoint, mark);
      if (problem === undefined) continue;
      evidence.add(`route to ${formatIpAddress(endpoint)} (${peerLabel(peer)}): ${problem}`);
      return {
        cause: 'no-route',
        summary: `There is no route to the server at ${formatIpAddress(endpoint)}: ${problem}.`,
        advice:
          'This computer is not connected to a network that reaches it: check the Wi-Fi or cable, or that the network has a default gateway.',
      };
    }
    const handshakes = await this.handshakes(subject, engine, endpoints, evidence);
    if (handshakes) return handshakes;
    return (
      (await this.dataPath(subject, engine, evidence)) ?? (await this.dns(subject, evidence)) ?? this.healthy(evidence)
    );
  }

  /** Every peer with an endpoint has a recent handshake, or gets one when asked; else why not. */
  private async handshakes(
    subject: DoctorSubject,
    engine: TunnelEngine,
    endpoints: ReadonlyMap<PeerConfig, Endpoint>,
    evidence: Evidence,
  ): Promise<Verdict | undefined> {
    const fresh = (peer: PeerConfig) => {
      const at = latestHandshake(engine.state(), peer);
      return at !== undefined && this.now() - at < RECENT_HANDSHAKE_MS;
    };
    let waiting = [...endpoints.keys()].filter((peer) => !fresh(peer));
    if (waiting.length === 0) {
      evidence.add('handshakes are recent');
      return undefined;
    }
    const before = transfer(engine.state());
    engine.handshakeNow();
    evidence.add(`no recent handshake with ${waiting.map(peerLabel).join(', ')}: asked for one`);
    for (let waited = 0; waited < HANDSHAKE_WAIT_MS && waiting.length > 0; waited += POLL_MS) {
      await this.probes.sleep(POLL_MS);
      waiting = waiting.filter((peer) => !fresh(peer));
    }
    if (waiting.length === 0) {
      evidence.add('a handshake completed when asked');
      return undefined;
    }
    const after = transfer(engine.state());
    const peer = waiting[0]!;
    const endpoint = endpoints.get(peer)!;
    const where = formatEndpoint(endpoint);
    evidence.add(
      `no handshake within ${HANDSHAKE_WAIT_MS / 1000} s: ${after.tx - before.tx} bytes sent to ${where}, ${after.rx - before.rx} received`,
    );
    const icmp = await this.probes.udpError(endpoint, engine.state().fwmark);
    const key = subject.publicKey ? keyToBase64(subject.publicKey) : undefined;
    if (icmp === 'ECONNREFUSED') {
      evidence.add(`a datagram to ${where} was refused (ICMP port unreachable)`);
      return {
        cause: 'endpoint-refused',
        summary: `Nothing answers on UDP port ${endpoint.port} at ${formatIpAddress(endpoint)}: the host refuses the port.`,
        advice: `The WireGuard server there is not running, or the port is wrong: check that the server is up and that Endpoint's port (${endpoint.port}) is its ListenPort.`,
      };
    }
    evidence.add(icmp ? `a datagram to ${where} met ${icmp}` : `a datagram to ${where} met silence (no ICMP error)`);
    return {
      cause: 'no-reply',
      summary: `Handshakes go out to ${where}, but nothing comes back.`,
      advice:
        `Either a firewall on the way drops the UDP to port ${endpoint.port}, or the server does not know this tunnel: ` +
        `its peer list must have this public key${key ? ` (${key})` : ''}, and the PublicKey here must be the server's.`,
    };
  }

  /** With handshakes working: do packets come back, and do large ones? */
  private async dataPath(
    subject: DoctorSubject,
    engine: TunnelEngine,
    evidence: Evidence,
  ): Promise<Verdict | undefined> {
    const target = subject.target ?? pingTarget(subject.config);
    if (!target) {
      evidence.add('no address inside the tunnel to ping (give one as the target)');
      return undefined;
    }
    const shown = formatIpAddress(target);
    const before = transfer(engine.state());
    if (!(await this.probes.ping(subject.name, target, SMALL_ECHO_BYTES, false))) {
      const after = transfer(engine.state());
      evidence.add(
        `pings to ${shown} through the tunnel got no reply (${after.tx - before.tx} bytes sent, ${after.rx - before.rx} received)`,
      );
      const ours = subject.config.interface.addresses.map((cidr) => formatIpAddress(cidr)).join(', ');
      return {
        cause: 'no-data-returned',
        summary: `Handshakes complete, but nothing comes back through the tunnel from ${shown}.`,
        advice:
          `Check the server's AllowedIPs for this peer: they must include this tunnel's address${ours ? ` (${ours})` : ''}. ` +
          `If the server should pass traffic on, check that it forwards packets (net.ipv4.ip_forward) and masquerades them.`,
      };
    }
    evidence.add(`pings to ${shown} through the tunnel are answered`);
    const mtu = await this.probes.interfaceMtu(subject.name);
    if (mtu === undefined || target.family !== 4) return undefined;
    if (await this.probes.ping(subject.name, target, mtu, true)) {
      evidence.add(`a ${mtu}-byte packet (the tunnel's MTU) passes`);
      return undefined;
    }
    let passes = SMALL_ECHO_BYTES;
    let fails = mtu;
    while (fails - passes > MTU_PRECISION) {
      const size = Math.floor((passes + fails) / 2);
      if (await this.probes.ping(subject.name, target, size, true)) passes = size;
      else fails = size;
    }
    evidence.add(`don't-fragment pings: ${passes} bytes pass, ${fails} bytes are lost (the tunnel's MTU is ${mtu})`);
    return {
      cause: 'mtu-black-hole',
      summary: `Packets of up to ${passes} bytes pass through the tunnel, larger ones are lost without an error: an MTU black hole on the way.`,
      advice: `Set MTU = ${passes} in the [Interface] section (now ${mtu}), or fix the path so that it reports "fragmentation needed".`,
      suggestedMtu: passes,
    };
  }

  private async dns(subject: DoctorSubject, evidence: Evidence): Promise<Verdict | undefined> {
    for (const server of subject.config.interface.dns) {
      const shown = formatIpAddress(server);
      if (await this.probes.dnsAnswers(server)) {
        evidence.add(`the DNS server ${shown} answers`);
        continue;
      }
      evidence.add(`the DNS server ${shown} did not answer a query`);
      return {
        cause: 'dns-no-answer',
        summary: `The tunnel works, but its DNS server ${shown} does not answer: names will not resolve while it is up.`,
        advice: `Check that a resolver runs at ${shown} on the server side and accepts queries from this tunnel, or change DNS = in the [Interface] section.`,
      };
    }
    return undefined;
  }

  private healthy(evidence: Evidence): Verdict {
    evidence.add('every check passed');
    return {
      cause: 'ok',
      summary: 'The tunnel works: handshakes complete and packets come back.',
      advice: 'Nothing to fix here; if an application still fails, check its own settings.',
    };
  }
}
