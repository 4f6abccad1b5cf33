// Hands the api and the stores to every component without threading props.
import { createContext, useContext } from 'react';
import type { ReactNode } from 'react';
import { useStore } from 'zustand';
import type { StoreApi } from 'zustand';
import type { WireflyApi } from '../../app/src/api/wirefly-api.js';
import type { Stores } from './state/stores.js';

interface AppContextValue {
  readonly api: WireflyApi;
  readonly stores: Stores;
}

const AppContext = createContext<AppContextValue | undefined>(undefined);

export function AppProvider({ api, stores, children }: AppContextValue & { readonly children: ReactNode }) {
  return <AppContext.Provider value={{ api, stores }}>{children}</AppContext.Provider>;
}

function useAppContext(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('components of the renderer need an AppProvider above them');
  return value;
}

export function useApi(): WireflyApi {
  return useAppContext().api;
}

export function useStores(): Stores {
  return useAppContext().stores;
}

type StateOf<K extends keyof Stores> = Stores[K] extends StoreApi<infer S> ? S : never;

/** Reads one store of the app through a selector, re-rendering only when the selected value changes. */
export function useAppStore<K extends keyof Stores, T>(which: K, selector: (state: StateOf<K>) => T): T {
  const store = useAppContext().stores[which] as unknown as StoreApi<StateOf<K>>;
  return useStore<StoreApi<StateOf<K>>, T>(store, selector);
}
