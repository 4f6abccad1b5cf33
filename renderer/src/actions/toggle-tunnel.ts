// Activate or deactivate, whichever the tunnel's state calls for. Activating
// one that conflicts with active tunnels switches: the helper brings those down
// first. The state itself comes back through onTunnels; a refusal is kept for
// the detail view.
import type { TunnelSummary, WireflyApi } from '../../../app/src/api/wirefly-api.js';
import type { Stores } from '../state/stores.js';
import { errorMessage } from './errors.js';

export function isUp(tunnel: TunnelSummary): boolean {
  return tunnel.state === 'active' || tunnel.state === 'activating';
}

/** Why Activate cannot be used for this tunnel now, or undefined when it can. */
export function activateBlocked(tunnel: TunnelSummary): string | undefined {
  if (!tunnel.nameTakenBy) return undefined;
  const by = tunnel.nameTakenBy.startedBy ? `, started by ${tunnel.nameTakenBy.startedBy}` : '';
  return `Another tunnel named ${tunnel.name} is ${tunnel.nameTakenBy.state}${by}, from a different configuration: it must go down before this one can come up.`;
}

export async function toggleTunnel(api: WireflyApi, stores: Stores, tunnel: TunnelSummary): Promise<void> {
  const { setFailure } = stores.tunnels.getState();
  setFailure(tunnel.name, undefined);
  if (!isUp(tunnel) && activateBlocked(tunnel)) return setFailure(tunnel.name, activateBlocked(tunnel));
  try {
    if (isUp(tunnel)) {
      await api.deactivate(tunnel.name);
      return;
    }
    const { replaced } = await api.activate(tunnel.name);
    if (replaced.length > 0)
      stores.ui.getState().notify('info', `Switched from ${replaced.join(', ')} to ${tunnel.name}.`);
  } catch (error) {
    setFailure(tunnel.name, errorMessage(error));
  }
}
