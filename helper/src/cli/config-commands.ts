// `wirefly config check FILE...` and `wirefly config strip FILE`.
import {
  checkConfigBytes,
  decodeConfigBytes,
  interfaceNameFromPath,
  isInterfaceName,
  MAX_CONFIG_BYTES,
  stripConfig,
} from '../config/index.js';
import type { ConfigDiagnostic } from '../config/index.js';
import type { CliIo } from './io.js';

const USAGE = 'Usage: wirefly config check FILE...\n       wirefly config strip FILE|INTERFACE\n';

function formatForFile(file: string, d: ConfigDiagnostic): string {
  const where = d.line > 0 ? `${file}:${d.line}:${d.column}` : file;
  return `${where}: ${d.severity}: ${d.message} [${d.code}]\n`;
}

function readConfigFile(path: string, io: CliIo): Uint8Array | string {
  try {
    return io.readFile(path, MAX_CONFIG_BYTES);
  } catch (error) {
    return `${path}: cannot read: ${(error as Error).message}`;
  }
}

async function check(files: readonly string[], io: CliIo): Promise<number> {
  if (files.length === 0) {
    io.stderr(USAGE);
    return 1;
  }
  let failed = false;
  for (const file of files) {
    const bytes = readConfigFile(file, io);
    if (typeof bytes === 'string') {
      io.stderr(`${bytes}\n`);
      failed = true;
      continue;
    }
    const result = checkConfigBytes(bytes);
    for (const d of [...result.errors, ...result.warnings]) io.stdout(formatForFile(file, d));
    if (result.errors.length > 0) {
      failed = true;
    } else {
      const peers = result.config?.peers.length ?? 0;
      io.stdout(
        `${file}: ok: ${peers} peer${peers === 1 ? '' : 's'}, ${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'}\n`,
      );
    }
  }
  return failed ? 1 : 0;
}

/** As wg-quick: a bare interface name means /etc/wireguard/NAME.conf, and the file name must be an interface name. */
async function strip(args: readonly string[], io: CliIo): Promise<number> {
  if (args.length !== 1) {
    io.stderr(USAGE);
    return 1;
  }
  const path = isInterfaceName(args[0]!) ? `/etc/wireguard/${args[0]}.conf` : args[0]!;
  if (!io.fileExists(path)) {
    io.stderr(`wirefly: \`${path}' does not exist\n`);
    return 1;
  }
  if (!interfaceNameFromPath(path)) {
    io.stderr('wirefly: The config file must be a valid interface name, followed by .conf\n');
    return 1;
  }
  const bytes = readConfigFile(path, io);
  if (typeof bytes === 'string') {
    io.stderr(`${bytes}\n`);
    return 1;
  }
  const decoded = decodeConfigBytes(bytes);
  const stripped = decoded.ok ? stripConfig(decoded.text) : decoded;
  if (!stripped.ok) {
    for (const d of stripped.errors) io.stderr(formatForFile(path, d));
    return 1;
  }
  io.stdout(stripped.text);
  return 0;
}

export async function config(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'check') return check(rest, io);
  if (sub === 'strip') return strip(rest, io);
  io.stderr(USAGE);
  return 1;
}
