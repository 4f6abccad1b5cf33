// From a parsed JSON value to a typed message, or to the error to answer with
// (and the request id to answer it under, when the value has a usable one).
import type { z } from 'zod';
import { ProtocolError } from './errors.js';
import { ClientMessage, HelperMessage, isMethod } from './schemas.js';

export type Decoded<T> =
  | { readonly ok: true; readonly message: T }
  | { readonly ok: false; readonly error: ProtocolError; readonly id?: number };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function usableId(value: Record<string, unknown>): number | undefined {
  const id = value.id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}

const MAX_ISSUES_SHOWN = 3;

/** "params.name: a tunnel name is ..." for the first few problems. */
function describeIssues(error: z.ZodError): string {
  const shown = error.issues.slice(0, MAX_ISSUES_SHOWN).map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const more = error.issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? ` (and ${more} more)` : '');
}

function withId(value: unknown): { id?: number } {
  const id = isRecord(value) ? usableId(value) : undefined;
  return id === undefined ? {} : { id };
}

export function decodeClientMessage(value: unknown): Decoded<ClientMessage> {
  if (isRecord(value) && value.type === 'request' && typeof value.method === 'string' && !isMethod(value.method)) {
    const error = new ProtocolError(
      'unknown-method',
      `there is no method ${JSON.stringify(value.method.slice(0, 64))}`,
    );
    return { ok: false, error, ...withId(value) };
  }
  const parsed = ClientMessage.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data as ClientMessage };
  return { ok: false, error: new ProtocolError('bad-message', describeIssues(parsed.error)), ...withId(value) };
}

export function decodeHelperMessage(value: unknown): Decoded<HelperMessage> {
  const parsed = HelperMessage.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data as HelperMessage };
  return { ok: false, error: new ProtocolError('bad-message', describeIssues(parsed.error)) };
}
