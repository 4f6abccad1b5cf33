// ICMP echo through the tunnel with a bounded count and deadline.
import { CommandError } from './exec.js';
import type { Namespace } from './namespace.js';

export interface PingOptions {
  /** Echo replies wanted; ping stops once it has them. */
  readonly count?: number;
  /** Hard limit on the whole run, in seconds; ping then sends until it has `count` replies. */
  readonly deadlineSeconds?: number;
  /**
   * Instead of a deadline: send exactly `count` echoes and wait this long for
   * each reply (ping -W), as a flood that must not be answered wants.
   */
  readonly replyWaitSeconds?: number;
  readonly intervalSeconds?: number;
  /** ICMP payload bytes (ping -s); ping's default when absent. */
  readonly payloadBytes?: number;
  /** Never fragment (ping -M do): a packet larger than the path MTU fails instead of arriving in pieces. */
  readonly dontFragment?: boolean;
  /** Flood (ping -f): the next echo as soon as a reply comes, without waiting the interval. */
  readonly flood?: boolean;
}

export interface PingResult {
  readonly transmitted: number;
  readonly received: number;
}

/** ping's default payload: 56 bytes after the 8-byte ICMP header. */
export const PING_PAYLOAD_BYTES = 56;
const ICMP_HEADER_BYTES = 8;
const IPV4_HEADER_BYTES = 20;
const IPV6_HEADER_BYTES = 40;

function headerBytes(family: 4 | 6): number {
  return (family === 4 ? IPV4_HEADER_BYTES : IPV6_HEADER_BYTES) + ICMP_HEADER_BYTES;
}

/** The size of one echo request or reply as an IP packet, the plaintext that WireGuard encrypts. */
export function echoPacketBytes(family: 4 | 6, payloadBytes = PING_PAYLOAD_BYTES): number {
  return headerBytes(family) + payloadBytes;
}

/** The payload that makes an echo packet exactly `mtu` bytes long. */
export function fullSizePayload(family: 4 | 6, mtu: number): number {
  return mtu - headerBytes(family);
}

function parseSummary(output: string): PingResult {
  const match = /(\d+) packets transmitted, (\d+) received/.exec(output);
  if (!match) throw new Error(`no summary in ping output:\n${output}`);
  return { transmitted: Number(match[1]), received: Number(match[2]) };
}

/** Resolves with the counts whether or not replies came; rejects only when ping itself fails. */
export async function ping(from: Namespace, address: string, options: PingOptions = {}): Promise<PingResult> {
  const args = [
    '-n',
    '-q',
    '-c',
    String(options.count ?? 1),
    ...(options.replyWaitSeconds === undefined
      ? ['-w', String(options.deadlineSeconds ?? 5)]
      : ['-W', String(options.replyWaitSeconds)]),
    ...(options.flood ? ['-f'] : ['-i', String(options.intervalSeconds ?? 0.2)]),
    '-s',
    String(options.payloadBytes ?? PING_PAYLOAD_BYTES),
    ...(options.dontFragment ? ['-M', 'do'] : []),
    address,
  ];
  try {
    return parseSummary(await from.exec('ping', args));
  } catch (error) {
    // Exit code 1 means "fewer replies than asked for", an answer and not a failure of ping.
    if (error instanceof CommandError && error.exitCode === 1) return parseSummary(error.stdout);
    throw error;
  }
}
