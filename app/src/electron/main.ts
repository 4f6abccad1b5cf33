// The Electron main process: one instance, the hardened window, the tray, the
// services that own the tunnels, and the glue between them. Everything with
// behaviour worth testing lives outside app/src/electron.
import { app, BrowserWindow, dialog, Notification } from 'electron';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentUserHelperAddress } from '../../../helper/src/client/helper-address.js';
import { currentProcessUser } from '../../../helper/src/os/win32/pipe-client.js';
import type { TunnelSummary } from '../api/wirefly-api.js';
import { appVersion, helperScript, packageRoot, rendererDir } from '../app-paths.js';
import { helperLauncher } from '../helper-client/helper-launcher.js';
import { systemdHelperService } from '../helper-client/helper-service.js';
import { launchdHelperService } from '../helper-client/launchd-service.js';
import { windowsHelperService } from '../helper-client/windows-service.js';
import { createMainServices } from '../services/main-services.js';
import type { MainServices } from '../services/main-services.js';
import { trayModel } from '../tray/tray-model.js';
import { tunnelNotifications } from '../tray/tunnel-notifications.js';
import { registerAppScheme, serveRenderer } from './app-protocol.js';
import { serveApiOverIpc } from './ipc.js';
import { safeStorageEncryption } from './safe-storage.js';
import { HIDDEN_ARGUMENT, setLinuxAutostart } from './linux-autostart.js';
import { filesToImport } from './shell-policy.js';
import { AppTray } from './tray.js';
import { createMainWindow, hardenSession } from './window.js';

const development = !app.isPackaged;
const here = fileURLToPath(new URL('.', import.meta.url));

/** Where the helper is for the process that runs it as root: outside the asar archive (only Electron can read inside it). */
function unpackedRoot(): string {
  return app.isPackaged ? join(process.resourcesPath, 'app.asar.unpacked') : packageRoot();
}

let window: BrowserWindow | undefined;
let quitting = false;

function showWindow(): void {
  if (!window || window.isDestroyed()) {
    window = createMainWindow({ preloadPath: join(here, 'preload.cjs'), development });
    // Close to tray: the window hides, the tunnels and the tray stay.
    window.on('close', (event) => {
      if (quitting) return;
      event.preventDefault();
      window?.hide();
    });
  }
  window.show();
  window.focus();
}

async function importPaths(services: MainServices, paths: readonly string[]): Promise<void> {
  const files = await Promise.all(
    paths.map(async (path) => ({ fileName: basename(path), dataBase64: (await readFile(path)).toString('base64') })),
  );
  // Files opened from outside the window have no dialog to ask in: a taken name gets a suffix, as before.
  const result = await services.api.importFiles(files, 'keep-both');
  const lines = [
    ...result.imported.map((name) => `Imported ${name}`),
    ...result.failed.map((failure) => `${failure.fileName}: ${failure.message}`),
  ];
  if (lines.length > 0) new Notification({ title: 'Wirefly import', body: lines.join('\n') }).show();
  showWindow();
}

async function chooseFilesToImport(services: MainServices): Promise<void> {
  const choice = await dialog.showOpenDialog({
    title: 'Import tunnel(s)',
    properties: ['openFile', 'multiSelections'],
    filters: [{ name: 'WireGuard tunnels', extensions: ['conf', 'zip'] }],
  });
  if (!choice.canceled) await importPaths(services, choice.filePaths);
}

function watchTunnels(services: MainServices, tray: AppTray): void {
  let previous: TunnelSummary[] = [];
  const update = (tunnels: TunnelSummary[]): void => {
    tray.render(trayModel(tunnels, services.helper.state));
    if (Notification.isSupported()) {
      for (const note of tunnelNotifications(previous, tunnels))
        new Notification({ title: note.title, body: note.body }).show();
    }
    previous = tunnels;
  };
  services.api.onTunnels(update);
  services.api.onHelperState(() => void services.api.listTunnels().then(update));
  void services.api.listTunnels().then(update);
}

/** What starts this app again: the AppImage file itself rather than its temporary mount, or Electron plus the app folder in development. */
function launchCommand(): string[] {
  if (!app.isPackaged) return [process.execPath, app.getAppPath()];
  return [process.env['APPIMAGE'] ?? process.execPath];
}

function applyLaunchAtLogin(services: MainServices, on: boolean): void {
  if (process.platform === 'linux') {
    setLinuxAutostart(on, launchCommand()).catch((error: Error) =>
      services.log.app('error', `launch at login: ${error.message}`),
    );
    return;
  }
  app.setLoginItemSettings({ openAtLogin: on, args: [HIDDEN_ARGUMENT] });
}

/** Started at login: the tray only, as users expect of a VPN client; the window opens from the tray. */
function startedHidden(): boolean {
  return (
    process.argv.includes(HIDDEN_ARGUMENT) ||
    (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin)
  );
}

async function start(): Promise<void> {
  hardenSession();
  const uid = process.getuid?.() ?? 0;
  const helperSocket = process.env['WIREFLY_HELPER_SOCKET'] ?? currentUserHelperAddress();
  serveRenderer(rendererDir());
  const services = await createMainServices({
    dataDir: app.getPath('userData'),
    encryption: safeStorageEncryption(),
    helperSocket,
    appVersion: app.isPackaged ? app.getVersion() : appVersion(),
    helperService:
      process.platform === 'darwin'
        ? launchdHelperService({
            launch: { nodePath: process.execPath, helperScript: helperScript(unpackedRoot()), uid },
          })
        : process.platform === 'win32'
          ? windowsHelperService({
              nodePath: process.execPath,
              helperScript: helperScript(unpackedRoot()),
              userSid: currentProcessUser().sid,
            })
          : systemdHelperService({ uid, platform: process.platform }),
    launchHelper: helperLauncher({
      nodePath: process.execPath,
      runAsNode: true,
      helperScript: helperScript(unpackedRoot()),
      user: process.platform === 'win32' ? currentProcessUser().sid : String(uid),
      socketPath: helperSocket,
    }),
  });
  serveApiOverIpc(services.api, () => window);
  applyLaunchAtLogin(services, (await services.api.getSettings()).launchAtLogin);
  services.api.onSettings((settings) => applyLaunchAtLogin(services, settings.launchAtLogin));
  const tray = new AppTray(join(packageRoot(), 'app', 'assets'), {
    toggle: (tunnel, on) =>
      void (on ? services.api.activate(tunnel) : services.api.deactivate(tunnel)).catch((error: Error) =>
        dialog.showErrorBox(`Wirefly: ${tunnel}`, error.message),
      ),
    action: (action) => {
      if (action === 'manage') showWindow();
      if (action === 'import') void chooseFilesToImport(services);
      if (action === 'quit') app.quit();
    },
    dropFiles: (paths) => void importPaths(services, filesToImport(paths)),
  });
  watchTunnels(services, tray);

  app.on('second-instance', (_event, argv) => {
    const paths = filesToImport(argv.slice(1));
    if (paths.length > 0) void importPaths(services, paths);
    else showWindow();
  });
  app.on('open-file', (event, path) => {
    event.preventDefault();
    void importPaths(services, [path]);
  });
  app.on('before-quit', () => {
    quitting = true;
    services.close();
    tray.destroy();
  });
  // With the window closed the app lives on in the tray.
  app.on('window-all-closed', () => undefined);
  app.on('activate', showWindow);

  const launchFiles = filesToImport(process.argv.slice(app.isPackaged ? 1 : 2));
  if (launchFiles.length > 0) await importPaths(services, launchFiles);
  else if (!startedHidden()) showWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  registerAppScheme();
  app.enableSandbox();
  app.whenReady().then(start, (error: unknown) => {
    dialog.showErrorBox('Wirefly could not start', String(error));
    app.exit(1);
  });
}
