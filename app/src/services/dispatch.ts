// Calls a WireflyApi method named by a transport, after checking its arguments.
import type { ApiCall } from '../api/api-protocol.js';
import type { WireflyApi } from '../api/wirefly-api.js';
import { checkArguments } from './api-arguments.js';

export function dispatchCall(api: WireflyApi, method: ApiCall, args: unknown): Promise<unknown> {
  const checked = checkArguments(method, args);
  const call = api[method] as (...args: unknown[]) => Promise<unknown>;
  return call.apply(api, checked);
}
