// Windows: Wintun adapters and Winsock UDP through the mingw-built addon,
// IP Helper and WFP through koffi, named pipes with access lists, a
// LocalSystem service registered with sc.exe, state under ProgramData.
import { spawnCommand, type CommandRunner } from '../command.js';
import type { Platform } from '../platform.js';
import type { Win32NetworkApi } from './api.js';
import { applyWin32TunnelNetwork } from './apply.js';
import { win32ControlEndpoint } from './control-endpoint.js';
import { koffiNetworkApi } from './koffi-network.js';
import { applyAccessList } from './security.js';
import { win32ServiceInstaller } from './service-installer.js';
import { win32ServiceRuntime } from './service-runtime.js';
import { win32StateStore } from './state-store.js';
import { bindWinsockUdp } from './udp.js';
import { win32UndoPerformer } from './undo-steps.js';
import { WintunTun } from './wintun.js';

export interface Win32Bindings {
  /** IP Helper and WFP; default koffi's, made on first use. */
  readonly network?: Win32NetworkApi;
  /** sc.exe and reg.exe. */
  readonly run?: CommandRunner;
  readonly setAccessList?: (path: string, sddl: string) => void;
}

export function win32Platform(bindings: Win32Bindings = {}): Platform {
  let network = bindings.network;
  const api = () => (network ??= koffiNetworkApi());
  const setAccessList = bindings.setAccessList ?? applyAccessList;
  return {
    name: 'win32',
    openTun: (name) =>
      new WintunTun(name, {
        mtu: (luid) => api().interfaceMtu(luid, 4),
        setMtu: (luid, mtu) => {
          for (const family of [4, 6] as const) api().setInterface(luid, family, { mtu });
        },
      }),
    bindUdp: async (port, handler) => bindWinsockUdp(port, handler),
    network: {
      apply: (plan, context) => applyWin32TunnelNetwork(api(), plan, context),
      undoPerformer: () => win32UndoPerformer(api),
    },
    control: win32ControlEndpoint(setAccessList),
    service: win32ServiceInstaller(bindings.run ?? spawnCommand),
    serviceRuntime: win32ServiceRuntime(),
    store: win32StateStore(setAccessList),
  };
}
