// The tunnel list: a listbox that arrow keys move through and Enter toggles.
// Rows re-render only when their own tunnel changes, so 200 tunnels stay cheap.
import { memo, useCallback, useEffect, useRef } from 'react';
import type { KeyboardEvent } from 'react';
import type { TunnelSummary } from '../../../app/src/api/wirefly-api.js';
import { useApi, useAppStore, useStores } from '../app-context.js';
import { toggleTunnel } from '../actions/toggle-tunnel.js';
import { StateDot, STATE_LABELS } from './StateDot.js';

const rowId = (name: string): string => `tunnel-row-${name}`;

const TunnelRow = memo(function TunnelRow({
  tunnel,
  selected,
  onPick,
}: {
  readonly tunnel: TunnelSummary;
  readonly selected: boolean;
  readonly onPick: (name: string) => void;
}) {
  return (
    <li
      id={rowId(tunnel.name)}
      role="option"
      aria-selected={selected}
      className={`tunnel-row${selected ? ' selected' : ''}`}
      onMouseDown={(event) => event.preventDefault()}
      onClick={() => onPick(tunnel.name)}
    >
      <StateDot state={tunnel.state} />
      <span className="tunnel-name">{tunnel.name}</span>
      {tunnel.state !== 'inactive' && <span className="tunnel-row-state">{STATE_LABELS[tunnel.state]}</span>}
    </li>
  );
});

export function TunnelList() {
  const api = useApi();
  const stores = useStores();
  const tunnels = useAppStore('tunnels', (s) => s.tunnels);
  const selected = useAppStore('tunnels', (s) => s.selected);
  const list = useRef<HTMLUListElement>(null);

  useEffect(() => {
    if (selected !== undefined) document.getElementById(rowId(selected))?.scrollIntoView?.({ block: 'nearest' });
  }, [selected]);

  const pick = useCallback(
    (name: string): void => {
      const { leaveEditor, edit } = stores.ui.getState();
      leaveEditor(() => {
        stores.tunnels.getState().select(name);
        edit(undefined);
        list.current?.focus();
      });
    },
    [stores],
  );

  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>): void => {
    const { moveSelection } = stores.tunnels.getState();
    const moves: Record<string, number> = {
      ArrowDown: 1,
      ArrowUp: -1,
      Home: -Infinity,
      End: Infinity,
      PageDown: 10,
      PageUp: -10,
    };
    const delta = moves[event.key];
    if (delta !== undefined) {
      event.preventDefault();
      stores.ui.getState().leaveEditor(() => {
        moveSelection(Number.isFinite(delta) ? delta : delta > 0 ? tunnels.length : -tunnels.length);
        stores.ui.getState().edit(undefined);
      });
      return;
    }
    const tunnel = tunnels.find((t) => t.name === selected);
    if (event.key === 'Enter' && tunnel) {
      event.preventDefault();
      void toggleTunnel(api, stores, tunnel);
    }
  };

  return (
    <ul
      ref={list}
      className="tunnel-list"
      role="listbox"
      aria-label="Tunnels"
      tabIndex={0}
      aria-activedescendant={selected !== undefined ? rowId(selected) : undefined}
      onKeyDown={onKeyDown}
    >
      {tunnels.map((tunnel) => (
        <TunnelRow key={tunnel.name} tunnel={tunnel} selected={tunnel.name === selected} onPick={pick} />
      ))}
    </ul>
  );
}
