// `npm run web [-- --port N] [--data DIR] [--socket PATH]`: the app's services
// behind the browser shell, printing the URL to open.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { appVersion, helperScript, rendererDir } from '../app-paths.js';
import { helperLauncher } from '../helper-client/helper-launcher.js';
import { systemdHelperService } from '../helper-client/helper-service.js';
import { plainText } from '../store/encryption.js';
import { helperSocketPath } from '../../../helper/src/rpc/index.js';
import { createMainServices } from '../services/main-services.js';
import { startBrowserShell } from './browser-shell.js';

const USAGE = 'usage: npm run web -- [--port N] [--data DIR] [--socket PATH] [--renderer DIR]';

function defaultDataDir(): string {
  const base = process.env['XDG_CONFIG_HOME'] || join(homedir(), '.config');
  // Not the Electron app's folder: that one's tunnels are encrypted with a key only Electron can use.
  return join(base, 'wirefly-web');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      data: { type: 'string', default: defaultDataDir() },
      socket: { type: 'string', default: helperSocketPath(process.getuid?.() ?? 0, process.platform) },
      renderer: { type: 'string', default: rendererDir() },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: '${values.port}' is not a port number\n${USAGE}`);
  const services = await createMainServices({
    dataDir: values.data,
    encryption: plainText,
    helperSocket: values.socket,
    appVersion: appVersion(),
    helperService: systemdHelperService({ uid: process.getuid?.() ?? 0, platform: process.platform }),
    launchHelper: helperLauncher({
      nodePath: process.execPath,
      runAsNode: false,
      helperScript: helperScript(),
      user: String(process.getuid?.() ?? 0),
      socketPath: values.socket,
    }),
  });
  const shell = await startBrowserShell({ api: services.api, rendererDir: values.renderer, port });
  for (const line of services.log.recent()) console.error(`${line.level}: ${line.message}`);
  console.log(`Wirefly is at ${shell.url}`);
  const stop = (): void => {
    services.close();
    void shell.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
