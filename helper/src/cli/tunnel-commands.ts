// `wirefly up FILE|NAME`, `wirefly down NAME`, `wirefly status [--json]`: a
// headless client of the running helper, for servers and scripts, as wg-quick is.
import { decodeConfigBytes, interfaceNameFromPath, isInterfaceName, MAX_CONFIG_BYTES } from '../config/index.js';
import { RequestError, type ResultOf } from '../rpc/index.js';
import type { HelperConnection } from '../client/helper-connection.js';
import { connectToHelper, SOCKET_ENV } from './helper-client.js';
import type { CliIo } from './io.js';
import { currentUserHelperAddress } from '../client/helper-address.js';

/** Where a bare NAME is looked for, in order: Wirefly's own tunnels, then wg-quick's. */
export const TUNNEL_DIRECTORIES = ['/etc/wirefly/tunnels', '/etc/wireguard'] as const;

export interface TunnelCommandEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The helper's socket unless --socket or WIREFLY_HELPER_SOCKET say otherwise. */
  readonly defaultSocket: string;
  readonly connect: (path: string) => Promise<HelperConnection>;
  readonly now: () => number;
}

export const processEnvironment: TunnelCommandEnvironment = {
  env: process.env,
  get defaultSocket() {
    return currentUserHelperAddress();
  },
  connect: (path) => connectToHelper(path, 'wirefly-cli'),
  now: Date.now,
};

interface CommonOptions {
  readonly socket: string;
  readonly rest: string[];
  readonly flags: Set<string>;
}

export function parseOptions(
  args: readonly string[],
  { env, defaultSocket }: TunnelCommandEnvironment,
): CommonOptions | string {
  let socket = env[SOCKET_ENV] || defaultSocket;
  const rest: string[] = [];
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--socket') {
      const value = args[++i];
      if (value === undefined) return '--socket needs a path';
      socket = value;
    } else if (arg.startsWith('--socket=')) socket = arg.slice('--socket='.length);
    else if (arg.startsWith('--')) flags.add(arg);
    else rest.push(arg);
  }
  return { socket, rest, flags };
}

function configPath(argument: string, io: CliIo): string {
  if (argument.includes('/') || !isInterfaceName(argument)) return argument;
  const candidates = TUNNEL_DIRECTORIES.map((dir) => `${dir}/${argument}.conf`);
  return candidates.find((path) => io.fileExists(path)) ?? candidates[candidates.length - 1]!;
}

export function reportFailure(error: unknown, io: CliIo, file?: string): number {
  if (error instanceof RequestError && error.configErrors && error.configErrors.length > 0) {
    for (const d of error.configErrors) {
      const where = d.line > 0 ? `${file ?? 'config'}:${d.line}:${d.column}` : (file ?? 'config');
      io.stderr(`${where}: error: ${d.message} [${d.code}]\n`);
    }
  }
  io.stderr(`wirefly: ${(error as Error).message}\n`);
  return 1;
}

export async function withHelper<T>(
  socket: string,
  environment: TunnelCommandEnvironment,
  body: (client: HelperConnection) => Promise<T>,
): Promise<T> {
  const client = await environment.connect(socket);
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

const UP_USAGE =
  'Usage: wirefly up [--kill-switch|--no-kill-switch] [--switch] [--socket PATH] FILE|NAME\n' +
  '  --switch  first bring down the active tunnels this one conflicts with (routes, DNS, address, port)\n';
const UP_FLAGS = new Set(['--kill-switch', '--no-kill-switch', '--switch']);

export async function up(args: readonly string[], io: CliIo, environment = processEnvironment): Promise<number> {
  const options = parseOptions(args, environment);
  const unknownFlag = typeof options === 'string' ? undefined : [...options.flags].find((flag) => !UP_FLAGS.has(flag));
  if (
    typeof options === 'string' ||
    options.rest.length !== 1 ||
    unknownFlag ||
    (options.flags.has('--kill-switch') && options.flags.has('--no-kill-switch'))
  ) {
    io.stderr(UP_USAGE);
    return 1;
  }
  const path = configPath(options.rest[0]!, io);
  const name = interfaceNameFromPath(path);
  if (!name) {
    io.stderr('wirefly: The config file must be a valid interface name, followed by .conf\n');
    return 1;
  }
  let bytes: Uint8Array;
  try {
    bytes = io.readFile(path, MAX_CONFIG_BYTES);
  } catch (error) {
    io.stderr(`wirefly: cannot read ${path}: ${(error as Error).message}\n`);
    return 1;
  }
  const decoded = decodeConfigBytes(bytes);
  if (!decoded.ok)
    return reportFailure(new RequestError('invalid-config', 'the config is not valid', decoded.errors), io, path);
  const killSwitch = options.flags.has('--kill-switch')
    ? { killSwitch: true }
    : options.flags.has('--no-kill-switch')
      ? { killSwitch: false }
      : {};
  try {
    const started = environment.now();
    const replaceConflicting = options.flags.has('--switch');
    const { tunnel, replaced = [] } = await withHelper(options.socket, environment, (client) =>
      client.request('tunnel.up', { name, configText: decoded.text, ...killSwitch, replaceConflicting }),
    );
    if (replaced.length > 0) io.stdout(`${replaced.join(', ')}: down, to switch to ${name}\n`);
    io.stdout(`${name}: up in ${environment.now() - started} ms${tunnel.killSwitch ? ', kill switch on' : ''}\n`);
    return 0;
  } catch (error) {
    return reportFailure(error, io, path);
  }
}

export async function down(args: readonly string[], io: CliIo, environment = processEnvironment): Promise<number> {
  const options = parseOptions(args, environment);
  if (typeof options === 'string' || options.rest.length !== 1 || options.flags.size > 0) {
    io.stderr('Usage: wirefly down [--socket PATH] NAME\n');
    return 1;
  }
  // As wg-quick, a path works too: the tunnel is the one named after the file.
  const argument = options.rest[0]!;
  const name = isInterfaceName(argument) ? argument : interfaceNameFromPath(argument);
  if (!name) {
    io.stderr(`wirefly: '${argument}' is not a tunnel name\n`);
    return 1;
  }
  try {
    const started = environment.now();
    await withHelper(options.socket, environment, (client) => client.request('tunnel.down', { name }));
    io.stdout(`${name}: down in ${environment.now() - started} ms\n`);
    return 0;
  } catch (error) {
    return reportFailure(error, io);
  }
}

function ago(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'} ago`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}, ${seconds % 60} seconds ago`;
}

function bytes(count: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${count} B` : `${value.toFixed(2)} ${units[unit]}`;
}

/** Like `wg show`, with the tunnel's state first. */
export function formatStatus(status: ResultOf<'status'>, now: number): string {
  const lines = [`helper: version ${status.helperVersion}, protocol ${status.protocolVersion}`];
  if (status.tunnels.length === 0) lines.push('no tunnels');
  for (const { summary, stats } of status.tunnels) {
    const notes = [
      summary.state,
      ...(summary.killSwitch ? ['kill switch on'] : []),
      ...(summary.error ? [summary.error] : []),
    ];
    lines.push('', `tunnel: ${summary.name} (${notes.join(', ')})`);
    if (!stats) continue;
    lines.push(`  listening port: ${stats.listenPort}`);
    for (const peer of stats.peers) {
      lines.push('', `  peer: ${peer.publicKey}`);
      if (peer.endpoint) lines.push(`    endpoint: ${peer.endpoint}`);
      lines.push(`    allowed ips: ${peer.allowedIps.length > 0 ? peer.allowedIps.join(', ') : '(none)'}`);
      if (peer.latestHandshake !== undefined) lines.push(`    latest handshake: ${ago(now - peer.latestHandshake)}`);
      if (peer.rxBytes > 0 || peer.txBytes > 0)
        lines.push(`    transfer: ${bytes(peer.rxBytes)} received, ${bytes(peer.txBytes)} sent`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export async function status(args: readonly string[], io: CliIo, environment = processEnvironment): Promise<number> {
  const options = parseOptions(args, environment);
  if (typeof options === 'string' || options.rest.length > 0 || [...options.flags].some((flag) => flag !== '--json')) {
    io.stderr('Usage: wirefly status [--json] [--socket PATH]\n');
    return 1;
  }
  try {
    const result = await withHelper(options.socket, environment, (client) => client.request('status', {}));
    io.stdout(
      options.flags.has('--json') ? `${JSON.stringify(result, null, 2)}\n` : formatStatus(result, environment.now()),
    );
    return 0;
  } catch (error) {
    return reportFailure(error, io);
  }
}
