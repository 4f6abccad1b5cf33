// The window: helper banner, navigation, and the screen the person is on.
import { useState } from 'react';
import { useAppStore, useStores } from '../app-context.js';
import { EditorScreen } from '../editor/EditorScreen.js';
import type { Screen } from '../state/ui-store.js';
import { HelperBanner } from './HelperBanner.js';
import { DropImport, ImportButton } from './ImportControls.js';
import { LogView } from './LogView.js';
import { Notices } from './Notices.js';
import { SettingsView } from './SettingsView.js';
import { TunnelDetail } from './TunnelDetail.js';
import { ExportDialog, ImportQuestionsDialog } from './TransferDialogs.js';
import { TunnelList } from './TunnelList.js';

const SCREENS: readonly { id: Screen; label: string }[] = [
  { id: 'tunnels', label: 'Tunnels' },
  { id: 'log', label: 'Log' },
  { id: 'settings', label: 'Settings' },
];

function EmptyState() {
  const stores = useStores();
  return (
    <div className="empty-state">
      <h2>No tunnels yet</h2>
      <p>
        Import a WireGuard configuration (a <code>.conf</code> file from your VPN provider or server, or a{' '}
        <code>.zip</code> of several) with the button below or by dropping the files onto this window, or create a
        tunnel from scratch.
      </p>
      <div className="empty-actions">
        <ImportButton className="button primary" />
        <button type="button" className="button" onClick={() => stores.ui.getState().edit({ kind: 'new' })}>
          Create a tunnel
        </button>
      </div>
    </div>
  );
}

function TunnelsScreen() {
  const stores = useStores();
  const [exporting, setExporting] = useState(false);
  const loaded = useAppStore('tunnels', (s) => s.loaded);
  const count = useAppStore('tunnels', (s) => s.tunnels.length);
  const selected = useAppStore('tunnels', (s) => s.tunnels.find((t) => t.name === s.selected));
  const editing = useAppStore('ui', (s) => s.editing);
  const main = editing ? (
    <EditorScreen key={editing.kind === 'edit' ? `edit:${editing.name}` : 'new'} editing={editing} />
  ) : selected ? (
    <TunnelDetail tunnel={selected} />
  ) : loaded && count === 0 ? (
    <EmptyState />
  ) : null;
  return (
    <div className="tunnels-screen">
      <aside className="sidebar" aria-label="Tunnel list">
        <TunnelList />
        <div className="sidebar-actions">
          <button
            type="button"
            className="button"
            onClick={() => stores.ui.getState().leaveEditor(() => stores.ui.getState().edit({ kind: 'new' }))}
          >
            New
          </button>
          <ImportButton />
          <button type="button" className="button" disabled={count === 0} onClick={() => setExporting(true)}>
            Export all
          </button>
        </div>
      </aside>
      {exporting && <ExportDialog onClose={() => setExporting(false)} />}
      <section className="main-pane">{main}</section>
    </div>
  );
}

export function App() {
  const stores = useStores();
  const screen = useAppStore('ui', (s) => s.screen);
  return (
    <div className="app">
      <HelperBanner />
      <nav className="topbar" aria-label="Screens">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Wirefly
        </span>
        <div className="tabs" role="tablist">
          {SCREENS.map((s) => (
            <button
              key={s.id}
              type="button"
              role="tab"
              aria-selected={screen === s.id}
              className={`tab${screen === s.id ? ' active' : ''}`}
              onClick={() => stores.ui.getState().leaveEditor(() => stores.ui.getState().show(s.id))}
            >
              {s.label}
            </button>
          ))}
        </div>
      </nav>
      <main className="content">
        {screen === 'tunnels' && <TunnelsScreen />}
        {screen === 'log' && <LogView />}
        {screen === 'settings' && <SettingsView />}
      </main>
      <Notices />
      <DropImport />
      <ImportQuestionsDialog />
    </div>
  );
}
