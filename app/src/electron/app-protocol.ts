// The renderer's files come from the packaged dist/renderer through the app://
// scheme, with the CSP on every document. No http server, no file:// (whose
// origin would be shared with every local file).
import { protocol } from 'electron';
import { findStaticFile } from '../web/static-files.js';
import { APP_SCHEME, RENDERER_CSP, isAppUrl } from './shell-policy.js';

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false } },
  ]);
}

export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    if (!isAppUrl(request.url)) return new Response('not found', { status: 404 });
    const file = await findStaticFile(rendererDir, new URL(request.url).pathname);
    if (!file) return new Response('not found', { status: 404 });
    const headers: Record<string, string> = { 'Content-Type': file.contentType, 'X-Content-Type-Options': 'nosniff' };
    if (file.isDocument) headers['Content-Security-Policy'] = RENDERER_CSP;
    return new Response(new Uint8Array(file.body), { headers });
  });
}
