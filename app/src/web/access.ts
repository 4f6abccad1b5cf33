// Who may use the browser shell: requests that name this server by its loopback
// address (which defeats DNS rebinding), carry this run's token (in the URL, or
// in the cookie the first page load sets), and, for the WebSocket, come from a
// page of this very server.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface ShellAddress {
  readonly port: number;
  readonly token: string;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost'];

export function tokenCookieName(port: number): string {
  return `wirefly-token-${port}`;
}

export function isOwnHost(hostHeader: string | undefined, address: ShellAddress): boolean {
  return LOOPBACK_NAMES.some((name) => hostHeader === `${name}:${address.port}`);
}

export function isOwnOrigin(origin: string | undefined, address: ShellAddress): boolean {
  return LOOPBACK_NAMES.some((name) => origin === `http://${name}:${address.port}`);
}

export function sameToken(given: string | undefined | null, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token a request carries, from `?token=` or the cookie. */
export function requestToken(request: IncomingMessage, address: ShellAddress): string | undefined {
  const url = new URL(request.url ?? '/', 'http://shell');
  const fromQuery = url.searchParams.get('token');
  if (fromQuery !== null) return fromQuery;
  const cookieName = tokenCookieName(address.port);
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === cookieName) return value.join('=');
  }
  return undefined;
}

export function isAuthorized(request: IncomingMessage, address: ShellAddress): boolean {
  return isOwnHost(request.headers.host, address) && sameToken(requestToken(request, address), address.token);
}

/** The policy for the renderer's pages: its own scripts and the API socket, nothing else. */
export function contentSecurityPolicy(port: number): string {
  const sockets = LOOPBACK_NAMES.map((name) => `ws://${name}:${port}`).join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${sockets}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
