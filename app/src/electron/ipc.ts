// WireflyApi served over ipcMain: every call checked for its sender (our window,
// showing our own files) and its arguments, answered in an envelope so that the
// renderer sees the service's message rather than Electron's wrapping of it;
// every event sent to the window.
import { ipcMain } from 'electron';
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import { API_CALLS, API_SUBSCRIPTIONS, toApiFailure } from '../api/api-protocol.js';
import type { WireflyApi } from '../api/wirefly-api.js';
import { dispatchCall } from '../services/dispatch.js';
import { ipcCallChannel, ipcEventChannel, isAppUrl } from './shell-policy.js';

export function serveApiOverIpc(api: WireflyApi, window: () => BrowserWindow | undefined): () => void {
  const trusted = (event: IpcMainInvokeEvent): boolean => {
    const target = window();
    return (
      target !== undefined &&
      event.sender === target.webContents &&
      event.senderFrame !== null &&
      isAppUrl(event.senderFrame.url)
    );
  };
  for (const method of API_CALLS) {
    ipcMain.handle(ipcCallChannel(method), async (event, ...args: unknown[]) => {
      if (!trusted(event)) return { ok: false, error: { message: 'refused: not the Wirefly window' } };
      try {
        return { ok: true, value: await dispatchCall(api, method, args) };
      } catch (error) {
        return { ok: false, error: toApiFailure(error) };
      }
    });
  }
  const unsubscribes = API_SUBSCRIPTIONS.map((subscription) =>
    (api[subscription] as (listener: (payload: unknown) => void) => () => void)((payload) => {
      const target = window();
      if (target && !target.isDestroyed()) target.webContents.send(ipcEventChannel(subscription), payload);
    }),
  );
  return () => {
    for (const method of API_CALLS) ipcMain.removeHandler(ipcCallChannel(method));
    for (const unsubscribe of unsubscribes) unsubscribe();
  };
}
