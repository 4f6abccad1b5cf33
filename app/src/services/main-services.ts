// Puts the main process's services together, the same way for the Electron
// shell and the browser shell: store and preferences in the user-data folder,
// the helper client on its socket, one log, and the WireflyApi over them.
import { join } from 'node:path';
import { HelperClient } from '../helper-client/helper-client.js';
import type { BackoffPolicy } from '../helper-client/backoff.js';
import type { HelperServiceControl } from '../helper-client/helper-service.js';
import type { Encryption } from '../store/encryption.js';
import { Preferences } from '../store/preferences.js';
import { TunnelStore } from '../store/tunnel-store.js';
import { AppServices } from './app-services.js';
import { LogBuffer } from './log-buffer.js';

export interface MainServicesOptions {
  /** The user-data folder: tunnels/ and preferences.json go here. */
  readonly dataDir: string;
  readonly encryption: Encryption;
  readonly helperSocket: string;
  readonly appVersion: string;
  readonly launchHelper: () => Promise<void>;
  readonly helperService: HelperServiceControl;
  readonly helperBackoff?: BackoffPolicy;
  readonly helperStartTimeoutMs?: number;
}

export interface MainServices {
  readonly api: AppServices;
  readonly helper: HelperClient;
  readonly store: TunnelStore;
  readonly log: LogBuffer;
  close(): void;
}

export async function createMainServices(options: MainServicesOptions): Promise<MainServices> {
  const log = new LogBuffer();
  const store = await TunnelStore.open(join(options.dataDir, 'tunnels'), options.encryption);
  const preferences = await Preferences.open(join(options.dataDir, 'preferences.json'));
  const helper = new HelperClient({
    socketPath: options.helperSocket,
    clientName: `wirefly-app ${options.appVersion}`,
    appVersion: options.appVersion,
    ...(options.helperBackoff ? { backoff: options.helperBackoff } : {}),
  });
  const api = new AppServices({
    store,
    preferences,
    helper,
    log,
    launchHelper: options.launchHelper,
    service: options.helperService,
    ...(options.helperStartTimeoutMs === undefined ? {} : { helperStartTimeoutMs: options.helperStartTimeoutMs }),
  });
  if (!store.encrypted) {
    log.app(
      'warn',
      `tunnels are stored unencrypted in ${store.dir} (readable only by you): this system offers no key store`,
    );
  }
  helper.start();
  return {
    api,
    helper,
    store,
    log,
    close: () => {
      api.dispose();
      helper.stop();
    },
  };
}
