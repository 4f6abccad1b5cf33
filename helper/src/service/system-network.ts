// The platform's system networking (os/network.ts) as the tunnel manager's
// TunnelNetwork: plan from the config, carry out with every change journaled first.
import { planTunnelNetwork, type NetworkApplier, type UndoJournal } from '../os/network.js';
import type { TunnelNetwork } from './tunnel-network.js';

export function journaledNetwork(journal: UndoJournal, applier: NetworkApplier): TunnelNetwork {
  return {
    async apply({ interfaceName, config, killSwitch, allowLan, resolvedHosts, setFwmark, engineListenPort }) {
      const plan = planTunnelNetwork(config, {
        ifname: interfaceName,
        killSwitch,
        ...(allowLan ? { allowLan } : {}),
        resolvedHosts: new Map([...resolvedHosts].map(([host, address]) => [host, [address]])),
      });
      const applied = await applier.apply(plan, { journal, setFwmark, engineListenPort });
      const updateEndpoints = applied.updateEndpoints?.bind(applied);
      const updateEngineListenPort = applied.updateEngineListenPort?.bind(applied);
      return {
        undo: () => applied.undo(),
        ...(updateEndpoints ? { updateEndpoints } : {}),
        ...(updateEngineListenPort ? { updateEngineListenPort } : {}),
      };
    },
  };
}
