// Linux: TUN and batched UDP through the native addon, networking through
// ip, nft, sysctl and the resolvers' tools, Unix sockets, systemd.
import type { Platform } from '../platform.js';
import { MAX_DATAGRAM_SIZE } from '../udp.js';
import { applyLinuxTunnelNetwork } from './apply.js';
import { spawnCommand, type CommandRunner } from '../command.js';
import { linuxControlEndpoint } from './control-endpoint.js';
import { linuxServiceInstaller } from './service-installer.js';
import { linuxStateStore } from './state-store.js';
import { openLinuxTun } from './tun.js';
import { bindNativeUdp } from './udp.js';
import { networkUndoPerformer } from './undo-steps.js';

export { applyLinuxTunnelNetwork as applyTunnelNetwork, type ApplyOptions } from './apply.js';
export type { CommandRunner } from '../command.js';
export { KILL_SWITCH_COUNTERS, killSwitchTable } from './firewall.js';
export { networkUndoPerformer, type NetworkUndoStep } from './undo-steps.js';

/** `run` carries out every command (tests pass a recording or namespaced one). */
export function linuxPlatform(run: CommandRunner = spawnCommand): Platform {
  return {
    name: 'linux',
    openTun: (name) => openLinuxTun(name),
    bindUdp: async (port, handler) => bindNativeUdp(port, handler, { maxDatagramSize: MAX_DATAGRAM_SIZE }),
    network: {
      apply: (plan, context) => applyLinuxTunnelNetwork(plan, { ...context, runner: run }),
      undoPerformer: () => networkUndoPerformer(run),
    },
    control: linuxControlEndpoint,
    service: linuxServiceInstaller(run),
    store: linuxStateStore,
  };
}
