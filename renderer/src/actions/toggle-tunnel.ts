// Activate or deactivate, whichever the tunnel's state calls for. The state
// itself comes back through onTunnels; a refusal is kept for the detail view.
import type { TunnelSummary, WireflyApi } from '../../../app/src/api/wirefly-api.js';
import type { Stores } from '../state/stores.js';
import { errorMessage } from './errors.js';

export function isUp(tunnel: TunnelSummary): boolean {
  return tunnel.state === 'active' || tunnel.state === 'activating';
}

export async function toggleTunnel(api: WireflyApi, stores: Stores, tunnel: TunnelSummary): Promise<void> {
  const { setFailure } = stores.tunnels.getState();
  setFailure(tunnel.name, undefined);
  try {
    await (isUp(tunnel) ? api.deactivate(tunnel.name) : api.activate(tunnel.name));
  } catch (error) {
    setFailure(tunnel.name, errorMessage(error));
  }
}
