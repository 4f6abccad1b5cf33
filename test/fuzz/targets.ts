// The fuzz targets by name. Loaded on demand: the engine target brings the
// crypto addon, which the others do not need.
import type { FuzzTargetModule } from './target.js';

export const TARGET_NAMES = ['config', 'uapi', 'rpc', 'engine'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export function isTargetName(name: string): name is TargetName {
  return (TARGET_NAMES as readonly string[]).includes(name);
}

export async function loadTarget(name: TargetName): Promise<FuzzTargetModule> {
  switch (name) {
    case 'config':
      return (await import('./config-target.js')).configTarget;
    case 'uapi':
      return (await import('./uapi-target.js')).uapiTarget;
    case 'rpc':
      return (await import('./rpc-target.js')).rpcTarget;
    case 'engine':
      return (await import('./engine-target.js')).engineTarget;
  }
}
