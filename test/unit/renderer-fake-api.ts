// An in-memory WireflyApi for renderer tests: it records calls, answers from
// plain data, and lets a test push events as the main process would.
import type {
  HelperService,
  HelperState,
  ImportedFile,
  ImportResult,
  LogLine,
  SaveResult,
  Settings,
  TunnelStats,
  TunnelSummary,
  WireflyApi,
} from '../../app/src/api/wirefly-api.js';
import { checkConfig } from '../../helper/src/config/index.js';

type Listener<T> = (value: T) => void;

export class FakeApi implements WireflyApi {
  readonly calls: { method: string; args: unknown[] }[] = [];
  tunnels: TunnelSummary[] = [];
  configs = new Map<string, string>();
  settings: Settings = { launchAtLogin: false, killSwitchDefault: true, theme: 'system', rateUnit: 'bits' };
  helper: HelperState = { status: 'running', version: '0.1.0' };
  service: HelperService = { kind: 'installable' };
  logs: LogLine[] = [];
  /** When set, activate and deactivate reject with this message. */
  refuseSwitching: string | undefined;
  private readonly listeners = {
    tunnels: new Set<Listener<TunnelSummary[]>>(),
    stats: new Set<Listener<TunnelStats>>(),
    log: new Set<Listener<LogLine>>(),
    helper: new Set<Listener<HelperState>>(),
  };

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  callsOf(method: string): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  emitTunnels(tunnels: TunnelSummary[]): void {
    this.tunnels = tunnels;
    for (const listener of this.listeners.tunnels) listener(tunnels);
  }
  emitStats(stats: TunnelStats): void {
    for (const listener of this.listeners.stats) listener(stats);
  }
  emitLog(line: LogLine): void {
    for (const listener of this.listeners.log) listener(line);
  }
  emitHelper(state: HelperState): void {
    for (const listener of this.listeners.helper) listener(state);
  }
  listenerCount(): number {
    return Object.values(this.listeners).reduce((sum, set) => sum + set.size, 0);
  }

  private subscribe<T>(set: Set<Listener<T>>, listener: Listener<T>): () => void {
    set.add(listener);
    return () => set.delete(listener);
  }

  private saved(name: string, text: string): SaveResult {
    const check = checkConfig(text);
    if (check.errors.length > 0) return { saved: false, issues: check.errors };
    this.configs.set(name, text);
    return { saved: true, issues: check.warnings };
  }

  async listTunnels(): Promise<TunnelSummary[]> {
    this.record('listTunnels');
    return this.tunnels;
  }
  async getConfig(name: string): Promise<string> {
    this.record('getConfig', name);
    const text = this.configs.get(name);
    if (text === undefined) throw new Error(`no tunnel named ${name}`);
    return text;
  }
  async saveConfig(name: string, text: string): Promise<SaveResult> {
    this.record('saveConfig', name, text);
    return this.saved(name, text);
  }
  async createTunnel(name: string, text: string): Promise<SaveResult> {
    this.record('createTunnel', name, text);
    const result = this.saved(name, text);
    if (result.saved)
      this.emitTunnels([
        ...this.tunnels,
        { name, state: 'inactive', killSwitch: false, connectAtBoot: false, owned: true },
      ]);
    return result;
  }
  async renameTunnel(from: string, to: string): Promise<void> {
    this.record('renameTunnel', from, to);
  }
  async deleteTunnel(name: string): Promise<void> {
    this.record('deleteTunnel', name);
  }
  async importFiles(files: readonly ImportedFile[]): Promise<ImportResult> {
    this.record('importFiles', files);
    return { imported: [], failed: [], questions: [] };
  }
  async exportTunnel(name: string): Promise<{ fileName: string; dataBase64: string }> {
    this.record('exportTunnel', name);
    return { fileName: `${name}.conf`, dataBase64: '' };
  }
  async exportAll(): Promise<{ fileName: string; dataBase64: string }> {
    this.record('exportAll');
    return { fileName: 'tunnels.zip', dataBase64: '' };
  }
  async setKillSwitch(name: string, on: boolean): Promise<void> {
    this.record('setKillSwitch', name, on);
  }
  async activate(name: string): Promise<{ replaced: string[] }> {
    this.record('activate', name);
    if (this.refuseSwitching) throw new Error(this.refuseSwitching);
    return { replaced: [] };
  }
  async deactivate(name: string): Promise<void> {
    this.record('deactivate', name);
    if (this.refuseSwitching) throw new Error(this.refuseSwitching);
  }
  async getHelperState(): Promise<HelperState> {
    this.record('getHelperState');
    return this.helper;
  }
  async getHelperService(): Promise<HelperService> {
    this.record('getHelperService');
    return this.service;
  }
  async startHelper(): Promise<void> {
    this.record('startHelper');
  }
  async installHelperService(): Promise<void> {
    this.record('installHelperService');
    this.service = { kind: 'installed' };
  }
  async setConnectAtBoot(name: string, on: boolean): Promise<void> {
    this.record('setConnectAtBoot', name, on);
    this.emitTunnels(this.tunnels.map((tunnel) => (tunnel.name === name ? { ...tunnel, connectAtBoot: on } : tunnel)));
  }
  async getSettings(): Promise<Settings> {
    this.record('getSettings');
    return this.settings;
  }
  async saveSettings(settings: Settings): Promise<void> {
    this.record('saveSettings', settings);
    this.settings = settings;
  }
  async getLogs(): Promise<LogLine[]> {
    this.record('getLogs');
    return this.logs;
  }

  onTunnels(listener: Listener<TunnelSummary[]>): () => void {
    return this.subscribe(this.listeners.tunnels, listener);
  }
  onStats(listener: Listener<TunnelStats>): () => void {
    return this.subscribe(this.listeners.stats, listener);
  }
  onLog(listener: Listener<LogLine>): () => void {
    return this.subscribe(this.listeners.log, listener);
  }
  onHelperState(listener: Listener<HelperState>): () => void {
    return this.subscribe(this.listeners.helper, listener);
  }
}
