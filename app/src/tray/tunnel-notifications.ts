// Which native notifications a change of tunnel states deserves: connected,
// disconnected, failed. Pure, so the Electron layer only shows them.
import type { TunnelSummary } from '../api/wirefly-api.js';

export interface TunnelNotification {
  readonly tunnel: string;
  readonly title: string;
  readonly body: string;
}

export function tunnelNotifications(
  previous: readonly TunnelSummary[],
  next: readonly TunnelSummary[],
): TunnelNotification[] {
  const before = new Map(previous.map((tunnel) => [tunnel.name, tunnel.state]));
  const notifications: TunnelNotification[] = [];
  for (const tunnel of next) {
    const was = before.get(tunnel.name) ?? 'inactive';
    if (was === tunnel.state) continue;
    if (tunnel.state === 'active') {
      notifications.push({
        tunnel: tunnel.name,
        title: `${tunnel.name} connected`,
        body: 'Traffic for this tunnel now goes through WireGuard.',
      });
    } else if (tunnel.state === 'error') {
      notifications.push({
        tunnel: tunnel.name,
        title: `${tunnel.name} failed`,
        body: tunnel.error ?? 'The tunnel could not be brought up.',
      });
    } else if (tunnel.state === 'inactive' && (was === 'active' || was === 'deactivating')) {
      notifications.push({ tunnel: tunnel.name, title: `${tunnel.name} disconnected`, body: 'The tunnel is down.' });
    }
  }
  return notifications;
}
