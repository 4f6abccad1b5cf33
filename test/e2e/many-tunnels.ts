// A browser shell in this very process over a temporary data directory holding
// many tunnels, created through the app's real store and validation. No helper
// runs: the page shows its helper-not-running banner, which is what a person
// sees before starting one.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WireflyApi } from '../../app/src/api/wirefly-api.js';
import { appVersion, rendererDir } from '../../app/src/app-paths.js';
import { createMainServices } from '../../app/src/services/main-services.js';
import type { MainServices } from '../../app/src/services/main-services.js';
import { plainText } from '../../app/src/store/encryption.js';
import { startBrowserShell } from '../../app/src/web/browser-shell.js';
import { HelperServiceStandIn } from '../unit/support/helper-service-stand-in.js';

/** wg001 … wg200: names that sort the same way as text and as numbers. */
export function tunnelNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `wg${String(i + 1).padStart(3, '0')}`);
}

function tunnelConfig(index: number): string {
  const key = (): string => randomBytes(32).toString('base64');
  return [
    '[Interface]',
    `PrivateKey = ${key()}`,
    `Address = 10.${100 + Math.floor(index / 250)}.${index % 250}.2/32`,
    '',
    '[Peer]',
    `PublicKey = ${key()}`,
    'AllowedIPs = 10.0.0.0/8',
    // TEST-NET-1: never routed anywhere.
    `Endpoint = 192.0.2.1:${51820 + index}`,
    '',
  ].join('\n');
}

export interface ManyTunnelsShell {
  readonly url: string;
  readonly names: readonly string[];
  readonly services: MainServices;
  close(): Promise<void>;
}

export interface ManyTunnelsOptions {
  readonly count: number;
  /** Lets a caller put something between the services and the page (the benchmark's stand-in stats). */
  readonly wrapApi?: (api: WireflyApi) => WireflyApi;
}

export async function startManyTunnelsShell(options: ManyTunnelsOptions): Promise<ManyTunnelsShell> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wirefly-many-'));
  const services = await createMainServices({
    dataDir,
    encryption: plainText,
    helperSocket: join(dataDir, 'no-helper.sock'),
    appVersion: appVersion(),
    launchHelper: () => Promise.reject(new Error('no helper runs beside this browser shell')),
    helperService: new HelperServiceStandIn(),
  });
  const names = tunnelNames(options.count);
  try {
    for (const [index, name] of names.entries()) {
      const result = await services.api.createTunnel(name, tunnelConfig(index));
      if (!result.saved) throw new Error(`tunnel ${name} was refused: ${JSON.stringify(result.issues)}`);
    }
    const api = options.wrapApi ? options.wrapApi(services.api) : services.api;
    const shell = await startBrowserShell({ api, rendererDir: rendererDir() });
    return {
      url: shell.url,
      names,
      services,
      close: async () => {
        await shell.close();
        services.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    services.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
