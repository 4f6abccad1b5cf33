// macOS: utun through a kernel-control socket, UDP through libSystem, both via
// koffi; addresses and routes through ifconfig and route, DNS through the
// System Configuration store (networksetup), the kill switch as a pf anchor,
// Unix sockets, launchd. Every call to the system goes through one binding
// (binding.ts), which tests replace with a recording fake.
import type { Platform } from '../platform.js';
import { MAX_DATAGRAM_SIZE } from '../udp.js';
import { unixControlEndpoint } from '../unix-control-endpoint.js';
import { applyDarwinTunnelNetwork } from './apply.js';
import type { DarwinBinding } from './binding.js';
import { codeLocationProblem, helperCodeRoots } from './code-location.js';
import { consoleUid } from './console-user.js';
import { darwinServiceInstaller } from './service-installer.js';
import { darwinStateStore } from './state-store.js';
import { systemBinding } from './system-binding.js';
import { bindDarwinUdp } from './udp.js';
import { darwinUndoPerformer, isUtunName } from './undo-steps.js';
import { openUtun } from './utun.js';

export type { DarwinBinding, DarwinSyscalls, NativeMemory, CommandResult } from './binding.js';
export { applyDarwinTunnelNetwork, darwinRoutes } from './apply.js';
export { killSwitchAnchor, killSwitchRules } from './pf.js';
export { darwinUndoPerformer, isDarwinUndoStep, type DarwinUndoStep } from './undo-steps.js';

export function darwinPlatform(binding: DarwinBinding = systemBinding()): Platform {
  return {
    name: 'darwin',
    // macOS names tunnel interfaces itself: a tunnel's own name asks for the first free utun.
    openTun: (name) => openUtun(binding.sys, isUtunName(name) ? name : 'utun'),
    bindUdp: async (port, handler) => bindDarwinUdp(binding.sys, port, handler, MAX_DATAGRAM_SIZE),
    network: {
      apply: (plan, context) => applyDarwinTunnelNetwork(plan, context, binding),
      undoPerformer: () => darwinUndoPerformer(binding.run),
    },
    control: unixControlEndpoint('darwin'),
    service: darwinServiceInstaller({ run: binding.run }),
    store: darwinStateStore,
    consoleUid: () => consoleUid(binding.consoleUser()),
    codeLocationProblem: (executable, script) =>
      codeLocationProblem(helperCodeRoots(executable, script), { files: binding.files }),
  };
}
