// The one interface the renderer programs against. The Electron preload
// implements it over ipcRenderer, the browser shell over a WebSocket; the
// renderer cannot tell which. Everything here is plain data (structured-clone
// and JSON safe: byte arrays travel as base64 strings over the WebSocket).

import type { Diagnosis, KillSwitchPolicy } from '../../../helper/src/rpc/index.js';

/** The connection doctor's verdict, and the kill switch beyond one tunnel, as the helper gives them. */
export type { Diagnosis, KillSwitchPolicy };

export type TunnelState = 'inactive' | 'activating' | 'active' | 'deactivating' | 'error';

export interface TunnelSummary {
  /** The wg-quick interface name, also the file name without `.conf`. */
  readonly name: string;
  readonly state: TunnelState;
  /** What went wrong, in words a person can act on, when state is 'error'. */
  readonly error?: string;
  /** Whether the kill switch is (or will be) on for this tunnel. */
  readonly killSwitch: boolean;
  /** Whether the helper keeps a copy to bring up at boot, before anyone logs in. */
  readonly connectAtBoot: boolean;
  /** The doctor's verdict when the helper ran it by itself (no handshake within 10 s, or data stopped). */
  readonly diagnosis?: Diagnosis;
  /** False for a tunnel the helper runs that none of this app's configs is (started with the wirefly command, say). */
  readonly owned: boolean;
  /** Who started it, when the helper runs it: "wirefly-app 0.1.0", "wirefly 0.1.0", "boot". */
  readonly startedBy?: string;
  /** A different tunnel of this name (another private key) that the helper runs, which keeps this one from coming up. */
  readonly nameTakenBy?: { readonly state: TunnelState; readonly startedBy?: string };
}

export interface ActivateResult {
  /** The tunnels that went down first because they could not run beside this one. */
  readonly replaced: readonly string[];
}

export type IssueSeverity = 'error' | 'warning';

/** An error or lint warning of the config module, positioned in the text. */
export interface ConfigIssue {
  readonly severity: IssueSeverity;
  readonly line: number;
  readonly column: number;
  readonly key?: string;
  /** Stable code, e.g. 'unknown-key'. */
  readonly code: string;
  readonly message: string;
}

export interface SaveResult {
  readonly saved: boolean;
  readonly issues: readonly ConfigIssue[];
}

export interface PeerStats {
  readonly publicKey: string;
  readonly endpoint?: string;
  /** Unix ms of the latest handshake; absent for never. */
  readonly latestHandshake?: number;
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly allowedIps: readonly string[];
}

/** Sent about once a second per active tunnel. */
export interface TunnelStats {
  readonly tunnel: string;
  /** Unix ms when the helper read these counters. */
  readonly at: number;
  readonly peers: readonly PeerStats[];
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogLine {
  readonly at: number;
  readonly level: LogLevel;
  readonly source: 'app' | 'helper';
  readonly tunnel?: string;
  readonly message: string;
}

export type HelperState =
  | { readonly status: 'running'; readonly version: string }
  | { readonly status: 'not-running' }
  | { readonly status: 'starting' }
  | { readonly status: 'incompatible'; readonly helperVersion: string; readonly appVersion: string }
  | { readonly status: 'not-permitted'; readonly message: string };

/** Whether the helper can run as a system service for this user, so that no password is asked at each start. */
export type HelperService =
  | { readonly kind: 'installed' }
  /** `reason`: why installing asks for a password where it would not, or asks again (macOS: a bundle that is not root's). */
  | { readonly kind: 'installable'; readonly reason?: string }
  /** Registered (macOS's SMAppService) and waiting to be allowed in System Settings' Login Items; installing opens them. */
  | { readonly kind: 'requires-approval' }
  | { readonly kind: 'unavailable'; readonly reason: string };

export type Theme = 'system' | 'light' | 'dark';

export interface Settings {
  readonly launchAtLogin: boolean;
  /** Kill switch for new full-tunnel configs. */
  readonly killSwitchDefault: boolean;
  readonly theme: Theme;
  /** How throughput is shown: bits per second (kbit/s, Mbit/s) or bytes per second (KiB/s, MiB/s). */
  readonly rateUnit: RateUnit;
}

export type RateUnit = 'bits' | 'bytes';

export interface ImportedFile {
  readonly fileName: string;
  /** Raw bytes of a .conf or .zip, base64. */
  readonly dataBase64: string;
}

export interface ImportResult {
  /** Names of the tunnels created or replaced. */
  readonly imported: readonly string[];
  readonly failed: readonly { readonly fileName: string; readonly message: string }[];
  /** Configs left out until the person says what to do: the name is taken, or the file name is not a valid tunnel name. */
  readonly questions: readonly ImportQuestion[];
}

export interface ImportQuestion {
  /** Where the config came from ("wg0.conf", "all.zip/wg0.conf"); the key of its answer. */
  readonly source: string;
  /** The name it would get: the file's, made valid where it was not. */
  readonly name: string;
  /** The file's own name when it had to be changed to make a tunnel name of it. */
  readonly renamedFrom?: string;
  /** Whether a tunnel of that name exists. */
  readonly taken: boolean;
}

/** What to do with one asked-about config: replace the tunnel of that name, add it under a free name, or leave it. */
export interface ImportAnswer {
  readonly action: 'replace' | 'keep-both' | 'skip';
  /** The name to use (replace: the tunnel replaced; keep-both: wanted, suffixed if taken). */
  readonly name: string;
}

export interface ExportedArchive {
  readonly fileName: string;
  readonly dataBase64: string;
}

export type Unsubscribe = () => void;

export interface WireflyApi {
  listTunnels(): Promise<TunnelSummary[]>;
  getConfig(name: string): Promise<string>;
  /** Validates and saves; refuses (saved: false) when there are errors. */
  saveConfig(name: string, text: string): Promise<SaveResult>;
  createTunnel(name: string, text: string): Promise<SaveResult>;
  renameTunnel(from: string, to: string): Promise<void>;
  deleteTunnel(name: string): Promise<void>;
  /** Imports what needs no question; `answers` (by question source) settle the rest, or 'keep-both' settles every one. */
  importFiles(
    files: readonly ImportedFile[],
    answers?: Readonly<Record<string, ImportAnswer>> | 'keep-both',
  ): Promise<ImportResult>;
  exportAll(): Promise<ExportedArchive>;
  /** One tunnel as NAME.conf. */
  exportTunnel(name: string): Promise<ExportedArchive>;
  setKillSwitch(name: string, on: boolean): Promise<void>;

  /** Brings the tunnel up, first bringing down the active tunnels it conflicts with. */
  activate(name: string): Promise<ActivateResult>;
  deactivate(name: string): Promise<void>;

  getHelperState(): Promise<HelperState>;
  getHelperService(): Promise<HelperService>;
  /** Starts the installed service, or else the helper for this session (one password prompt either way). */
  startHelper(): Promise<void>;
  /** Installs the helper as a system service for this user and starts it (one password prompt). */
  installHelperService(): Promise<void>;
  /** Keeps (or drops) the helper's root-only copy that it brings up at boot; needs the helper running. */
  setConnectAtBoot(name: string, on: boolean): Promise<void>;
  /** Runs the connection doctor on a tunnel the helper knows (up, or failed to come up); takes some seconds. */
  diagnose(name: string): Promise<Diagnosis>;
  /** Always on and Allow LAN, as the helper keeps them; needs the helper running. */
  getKillSwitchPolicy(): Promise<KillSwitchPolicy>;
  setKillSwitchPolicy(policy: KillSwitchPolicy): Promise<KillSwitchPolicy>;

  getSettings(): Promise<Settings>;
  saveSettings(settings: Settings): Promise<void>;

  /** Recent log lines, oldest first. */
  getLogs(): Promise<LogLine[]>;

  onTunnels(listener: (tunnels: TunnelSummary[]) => void): Unsubscribe;
  onStats(listener: (stats: TunnelStats) => void): Unsubscribe;
  onLog(listener: (line: LogLine) => void): Unsubscribe;
  onHelperState(listener: (state: HelperState) => void): Unsubscribe;
}
