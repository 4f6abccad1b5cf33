// The platform's system networking (os/network.ts) as the tunnel manager's
// TunnelNetwork: plan from the config, carry out with every change journaled first.
import { planTunnelNetwork, type NetworkApplier, type UndoJournal } from '../os/network.js';
import type { TunnelNetwork } from './tunnel-network.js';

export function journaledNetwork(journal: UndoJournal, applier: NetworkApplier): TunnelNetwork {
  return {
    apply({ interfaceName, config, killSwitch, resolvedHosts, setFwmark }) {
      const hosts = new Map([...resolvedHosts].map(([host, address]) => [host, [address]]));
      const plan = planTunnelNetwork(config, { ifname: interfaceName, killSwitch, resolvedHosts: hosts });
      return applier.apply(plan, { journal, setFwmark });
    },
  };
}
