// Entry point: finds the WireflyApi (Electron's preload puts one on window; in a
// plain browser the shell that served the page is reached over a WebSocket),
// feeds the stores from it and renders the app.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import type { WireflyApi } from '../../app/src/api/wirefly-api.js';
import { browserShellApiUrl, connectWireflyApi } from '../../app/src/api/websocket-client.js';
import { AppProvider } from './app-context.js';
import { App } from './components/App.js';
import { errorMessage } from './actions/errors.js';
import { connectStores, createStores } from './state/stores.js';
import { applyTheme } from './theme.js';

declare global {
  interface Window {
    readonly wirefly?: WireflyApi;
  }
}

const api = window.wirefly ?? connectWireflyApi(browserShellApiUrl(window.location));
const stores = createStores();
// Outside React, so the attribute is in place before any component draws with the theme's colours.
stores.system.subscribe((state) => applyTheme(document.documentElement, state.settings?.theme));

const root = createRoot(document.getElementById('root')!);
root.render(
  <StrictMode>
    <AppProvider api={api} stores={stores}>
      <App />
    </AppProvider>
  </StrictMode>,
);

connectStores(api, stores).catch((error: unknown) => {
  stores.ui.getState().notify('error', `Wirefly could not reach its main process: ${errorMessage(error)}`);
});
