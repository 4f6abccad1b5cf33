// The Electron shell's security decisions as pure functions, so that they are
// unit-tested without Electron: which origin the renderer lives at, which URLs
// it may reach, which IPC senders are trusted, which command-line arguments are
// files to import.
import { API_CALLS, API_SUBSCRIPTIONS, IPC_CALL_PREFIX, IPC_EVENT_PREFIX } from '../api/api-protocol.js';
import type { ApiCall, ApiSubscription } from '../api/api-protocol.js';

/** The renderer is served from the packaged files under this privileged custom scheme, never over http. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'wirefly';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** No remote content, no inline script, no eval; styles may be inline (React style props). */
export const RENDERER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}

/** Only https links leave the app, and only to the system browser (never inside a window). */
export function isExternalLinkAllowed(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

export function ipcCallChannel(method: ApiCall): string {
  return IPC_CALL_PREFIX + method;
}

export function ipcEventChannel(subscription: ApiSubscription): string {
  return IPC_EVENT_PREFIX + subscription;
}

export const IPC_CALL_CHANNELS = API_CALLS.map(ipcCallChannel);
export const IPC_EVENT_CHANNELS = API_SUBSCRIPTIONS.map(ipcEventChannel);

const IMPORTABLE = /\.(conf|zip)$/i;

/** The files a launch or a second instance was asked to open (file association, "Open with"): tunnel configs and archives only. */
export function filesToImport(argv: readonly string[]): string[] {
  return argv.filter((arg) => !arg.startsWith('-') && IMPORTABLE.test(arg));
}
