// What the tray shows, as plain data: a function of the tunnels and the helper's
// state. The Electron layer only renders it, so all of the tray's behaviour is
// tested here without Electron.
import type { HelperState, TunnelSummary } from '../api/wirefly-api.js';

export type TrayIcon = 'connected' | 'disconnected';
export type TrayAction = 'manage' | 'import' | 'quit';

export type TrayItem =
  | {
      readonly kind: 'tunnel';
      readonly name: string;
      readonly label: string;
      readonly checked: boolean;
      readonly enabled: boolean;
    }
  | { readonly kind: 'action'; readonly action: TrayAction; readonly label: string }
  | { readonly kind: 'note'; readonly label: string }
  | { readonly kind: 'separator' };

export interface TrayModel {
  readonly icon: TrayIcon;
  readonly tooltip: string;
  readonly items: readonly TrayItem[];
}

const BUSY_SUFFIX: Partial<Record<TunnelSummary['state'], string>> = {
  activating: ' (connecting…)',
  deactivating: ' (disconnecting…)',
  error: ' (failed)',
};

export function trayModel(tunnels: readonly TunnelSummary[], helper: HelperState): TrayModel {
  const active = tunnels.filter((tunnel) => tunnel.state === 'active').map((tunnel) => tunnel.name);
  const tunnelItems: TrayItem[] =
    tunnels.length === 0
      ? [{ kind: 'note', label: 'No tunnels yet' }]
      : tunnels.map((tunnel) => ({
          kind: 'tunnel',
          name: tunnel.name,
          label: tunnel.name + (BUSY_SUFFIX[tunnel.state] ?? ''),
          checked: tunnel.state === 'active' || tunnel.state === 'activating',
          enabled: tunnel.state !== 'activating' && tunnel.state !== 'deactivating' && helper.status !== 'incompatible',
        }));
  return {
    icon: active.length > 0 ? 'connected' : 'disconnected',
    tooltip: tooltip(active, helper),
    items: [
      ...tunnelItems,
      { kind: 'separator' },
      { kind: 'action', action: 'manage', label: 'Manage tunnels…' },
      { kind: 'action', action: 'import', label: 'Import tunnel(s) from file…' },
      { kind: 'separator' },
      { kind: 'action', action: 'quit', label: 'Quit' },
    ],
  };
}

function tooltip(active: readonly string[], helper: HelperState): string {
  if (helper.status === 'incompatible') return 'Wirefly: the helper needs updating';
  if (active.length === 0) return 'Wirefly: disconnected';
  return `Wirefly: connected (${active.join(', ')})`;
}
