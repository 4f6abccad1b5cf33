import type { TunnelState } from '../../../app/src/api/wirefly-api.js';

export const STATE_LABELS: Readonly<Record<TunnelState, string>> = {
  inactive: 'Inactive',
  activating: 'Activating…',
  active: 'Active',
  deactivating: 'Deactivating…',
  error: 'Error',
};

export function StateDot({ state }: { readonly state: TunnelState }) {
  return (
    <span
      className={`state-dot state-${state}`}
      role="img"
      aria-label={STATE_LABELS[state]}
      title={STATE_LABELS[state]}
    />
  );
}
