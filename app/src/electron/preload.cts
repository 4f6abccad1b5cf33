// The sandboxed preload: WireflyApi over ipcRenderer, and nothing else, exposed
// to the renderer as `window.wirefly`. A sandboxed preload cannot load other
// files, so the names of calls and channels are spelled out here; a unit test
// keeps them equal to app/src/api/api-protocol.ts.
// A sandboxed preload is CommonJS: `require` is the only way in.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import electron = require('electron');
import type { IpcRendererEvent } from 'electron';

const { contextBridge, ipcRenderer } = electron;

const CALLS = [
  'listTunnels',
  'getConfig',
  'saveConfig',
  'createTunnel',
  'renameTunnel',
  'deleteTunnel',
  'importFiles',
  'exportAll',
  'exportTunnel',
  'setKillSwitch',
  'activate',
  'deactivate',
  'getHelperState',
  'getHelperService',
  'startHelper',
  'installHelperService',
  'setConnectAtBoot',
  'getSettings',
  'saveSettings',
  'getLogs',
];
const SUBSCRIPTIONS = ['onTunnels', 'onStats', 'onLog', 'onHelperState'];
const CALL_PREFIX = 'wirefly:call:';
const EVENT_PREFIX = 'wirefly:event:';

type Envelope = { ok: true; value: unknown } | { ok: false; error: { message: string } };

async function call(method: string, args: unknown[]): Promise<unknown> {
  const envelope = (await ipcRenderer.invoke(CALL_PREFIX + method, ...args)) as Envelope;
  if (envelope.ok) return envelope.value;
  throw new Error(envelope.error.message);
}

function subscribe(name: string) {
  return (listener: (payload: unknown) => void): (() => void) => {
    // The event object stays here: it would hand the renderer ipcRenderer itself.
    const forward = (_event: IpcRendererEvent, payload: unknown): void => listener(payload);
    ipcRenderer.on(EVENT_PREFIX + name, forward);
    return () => void ipcRenderer.removeListener(EVENT_PREFIX + name, forward);
  };
}

const api = Object.fromEntries([
  ...CALLS.map((method) => [method, (...args: unknown[]) => call(method, args)]),
  ...SUBSCRIPTIONS.map((name) => [name, subscribe(name)]),
]);

contextBridge.exposeInMainWorld('wirefly', api);
