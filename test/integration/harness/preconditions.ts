// Integration tests need root and real tools; without them they must fail with
// a message that says what is missing, never skip and look green.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Every external program the harness and the tests run. */
export const REQUIRED_TOOLS = [
  'ip',
  'wg',
  'wireguard-go',
  'ncat',
  'iperf3',
  'ping',
  'ss',
  'sysctl',
  'nft',
  'tcpdump',
  'dnsmasq',
] as const;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(tool: string): boolean {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return dirs.some((dir) => isExecutable(join(dir, tool)));
}

export function missingPreconditions(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (run the integration tests as root)');
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    missing.push('/dev/net/tun');
  }
  for (const tool of REQUIRED_TOOLS) {
    if (!onPath(tool)) missing.push(`${tool} on PATH`);
  }
  return missing;
}

export function assertPreconditions(): void {
  const missing = missingPreconditions();
  if (missing.length > 0) {
    throw new Error(
      `integration test preconditions not met, missing: ${missing.join(', ')}. ` +
        'Install wireguard-go wireguard-tools iperf3 ncat iproute2 iputils-ping procps nftables tcpdump dnsmasq-base (see .ci/run) and run as root.',
    );
  }
}
