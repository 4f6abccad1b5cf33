// `wirefly doctor NAME`: the connection doctor's verdict on a tunnel, in plain
// words; `wirefly killswitch`: the Always on and Allow LAN policy.
import { isInterfaceName } from '../config/index.js';
import { parseIpAddress } from '../net/ip.js';
import type { Diagnosis, KillSwitchPolicy } from '../rpc/index.js';
import type { CliIo } from './io.js';
import {
  parseOptions,
  processEnvironment,
  reportFailure,
  withHelper,
  type TunnelCommandEnvironment,
} from './tunnel-commands.js';

const DOCTOR_USAGE = 'Usage: wirefly doctor [--target=ADDRESS] [--json] [--socket PATH] NAME\n';

export function formatDiagnosis(diagnosis: Diagnosis): string {
  const lines = [
    `${diagnosis.tunnel}: ${diagnosis.summary}`,
    `  what to do: ${diagnosis.advice}`,
    ...(diagnosis.publicKey ? [`  this tunnel's public key: ${diagnosis.publicKey}`] : []),
    ...(diagnosis.suggestedMtu !== undefined ? [`  suggested MTU: ${diagnosis.suggestedMtu}`] : []),
    `  cause: ${diagnosis.cause}`,
    '  evidence:',
    ...diagnosis.evidence.map((line) => `    - ${line}`),
  ];
  return `${lines.join('\n')}\n`;
}

export async function doctor(args: readonly string[], io: CliIo, environment = processEnvironment): Promise<number> {
  const options = parseOptions(args, environment);
  if (typeof options === 'string' || options.rest.length !== 1 || !isInterfaceName(options.rest[0]!)) {
    io.stderr(DOCTOR_USAGE);
    return 1;
  }
  let target: string | undefined;
  for (const flag of options.flags) {
    if (flag === '--json') continue;
    if (flag.startsWith('--target=') && parseIpAddress(flag.slice('--target='.length))) {
      target = flag.slice('--target='.length);
      continue;
    }
    io.stderr(DOCTOR_USAGE);
    return 1;
  }
  const name = options.rest[0]!;
  try {
    const { diagnosis } = await withHelper(options.socket, environment, (client) =>
      client.request('tunnel.diagnose', { name, ...(target ? { target } : {}) }),
    );
    io.stdout(options.flags.has('--json') ? `${JSON.stringify(diagnosis, null, 2)}\n` : formatDiagnosis(diagnosis));
    return diagnosis.cause === 'ok' ? 0 : 2;
  } catch (error) {
    return reportFailure(error, io);
  }
}

const KILL_SWITCH_USAGE = 'Usage: wirefly killswitch [off|always-on] [--allow-lan|--no-allow-lan] [--socket PATH]\n';

function describePolicy(policy: KillSwitchPolicy): string {
  const mode = policy.mode === 'always-on' ? 'always on (untunneled traffic blocked whenever no tunnel is up)' : 'off';
  return `kill switch: ${mode}; LAN ${policy.allowLan ? 'allowed' : 'blocked with it'}\n`;
}

export async function killswitch(
  args: readonly string[],
  io: CliIo,
  environment: TunnelCommandEnvironment = processEnvironment,
): Promise<number> {
  const options = parseOptions(args, environment);
  const mode = typeof options === 'string' ? undefined : options.rest[0];
  if (
    typeof options === 'string' ||
    options.rest.length > 1 ||
    (mode !== undefined && mode !== 'off' && mode !== 'always-on') ||
    [...options.flags].some((flag) => flag !== '--allow-lan' && flag !== '--no-allow-lan') ||
    (options.flags.has('--allow-lan') && options.flags.has('--no-allow-lan'))
  ) {
    io.stderr(KILL_SWITCH_USAGE);
    return 1;
  }
  try {
    const policy = await withHelper(options.socket, environment, async (client) => {
      const { policy: current } = await client.request('killswitch.get', {});
      if (mode === undefined && options.flags.size === 0) return current;
      const next: KillSwitchPolicy = {
        mode: mode ?? current.mode,
        allowLan: options.flags.has('--allow-lan')
          ? true
          : options.flags.has('--no-allow-lan')
            ? false
            : current.allowLan,
      };
      return (await client.request('killswitch.set', { policy: next })).policy;
    });
    io.stdout(describePolicy(policy));
    return 0;
  } catch (error) {
    return reportFailure(error, io);
  }
}
