// The main process's side of WireflyApi: the tunnel store and preferences, the
// helper client and the log, behind the one interface. Both shells (Electron and
// the browser shell) serve this object; it knows nothing of either.
import { isInterfaceName, keyToBase64, parseConfig, publicKeyFromPrivate } from '../../../helper/src/config/index.js';
import { RequestError } from '../../../helper/src/rpc/index.js';
import type { Event, TunnelSummary as HelperTunnel } from '../../../helper/src/rpc/index.js';
import type {
  ActivateResult,
  ExportedArchive,
  ImportAnswer,
  ImportQuestion,
  HelperService,
  HelperState,
  ImportedFile,
  ImportResult,
  LogLine,
  SaveResult,
  Settings,
  TunnelStats,
  TunnelSummary,
  Unsubscribe,
  WireflyApi,
} from '../api/wirefly-api.js';
import type { HelperClient } from '../helper-client/helper-client.js';
import type { HelperServiceControl } from '../helper-client/helper-service.js';
import { checkConfigText, routesEverything } from '../store/config-issues.js';
import type { Preferences } from '../store/preferences.js';
import { StoreError } from '../store/store-error.js';
import { fileBaseName, uniqueTunnelName } from '../store/tunnel-name.js';
import type { TunnelStore } from '../store/tunnel-store.js';
import { collectImportSources } from '../transfer/import-files.js';
import { writeConfigArchive } from '../transfer/zip.js';
import { Listeners } from './listeners.js';
import type { LogBuffer } from './log-buffer.js';

export interface AppServicesOptions {
  readonly store: TunnelStore;
  readonly preferences: Preferences;
  readonly helper: HelperClient;
  readonly log: LogBuffer;
  /** Starts the helper elevated for this session (one password prompt); resolves once the prompt's command ran. */
  readonly launchHelper: () => Promise<void>;
  readonly service: HelperServiceControl;
  /** How long to wait for a launched helper's socket. */
  readonly helperStartTimeoutMs?: number;
}

const MAX_ISSUES_IN_MESSAGE = 3;

export class AppServices implements WireflyApi {
  private readonly tunnelListeners = new Listeners<TunnelSummary[]>();
  private readonly statsListeners = new Listeners<TunnelStats>();
  private readonly settingsListeners = new Listeners<Settings>();
  private readonly detach: Unsubscribe[];

  constructor(private readonly options: AppServicesOptions) {
    const { helper } = options;
    this.detach = [
      helper.onTunnels(() => void this.publishTunnels()),
      helper.onEvent((event) => this.receive(event)),
      helper.onState((state) => {
        options.log.app('info', `helper: ${describeHelperState(state)}`);
        if (state.status === 'running') void this.refreshBootCopies();
        void this.publishTunnels();
      }),
    ];
  }

  /** Stops listening to the helper (the services' owner stops the helper client itself). */
  dispose(): void {
    for (const undo of this.detach) undo();
  }

  /**
   * The app's tunnels and the helper's, matched by identity: a running tunnel is
   * the app's when its name and its interface's public key are those of a saved
   * config. Another tunnel of the same name (started from the command line with
   * another file) is not shown as the app's.
   */
  async listTunnels(): Promise<TunnelSummary[]> {
    const { store, helper, preferences } = this.options;
    const running = new Map(helper.tunnels.map((tunnel) => [tunnel.name, tunnel]));
    const saved = await store.names();
    const entries: TunnelSummary[] = [];
    for (const name of saved) {
      const live = running.get(name);
      running.delete(name);
      const base = { name, connectAtBoot: helper.bootTunnels.has(name), owned: true };
      if (live && (await this.isSavedTunnel(name, live))) {
        entries.push({ ...summaryOf(live), ...base });
        continue;
      }
      entries.push({
        ...base,
        state: 'inactive',
        killSwitch: preferences.killSwitch(name),
        ...(live
          ? { nameTakenBy: { state: live.state, ...(live.startedBy ? { startedBy: live.startedBy } : {}) } }
          : {}),
      });
    }
    for (const live of running.values())
      entries.push({ ...summaryOf(live), connectAtBoot: helper.bootTunnels.has(live.name), owned: false });
    return entries.sort((a, b) => a.name.localeCompare(b.name));
  }

  getConfig(name: string): Promise<string> {
    return this.options.store.read(name);
  }

  async saveConfig(name: string, text: string): Promise<SaveResult> {
    const checked = checkConfigText(text);
    if (checked.hasErrors) return { saved: false, issues: checked.issues };
    await this.options.store.update(name, text);
    if (this.options.helper.bootTunnels.has(name)) await this.storeBootCopy(name);
    return { saved: true, issues: checked.issues };
  }

  async createTunnel(name: string, text: string): Promise<SaveResult> {
    if (!isInterfaceName(name))
      throw new StoreError('bad-name', `'${name}' is not a valid tunnel name: use 1 to 15 letters, digits or _=+.-`);
    const checked = checkConfigText(text);
    if (checked.hasErrors) return { saved: false, issues: checked.issues };
    await this.options.store.create(name, text);
    await this.applyKillSwitchDefault(name, checked.config !== undefined && routesEverything(checked.config));
    this.options.log.app('info', 'tunnel created', name);
    await this.publishTunnels();
    return { saved: true, issues: checked.issues };
  }

  async renameTunnel(from: string, to: string): Promise<void> {
    this.refuseWhileRunning(from, 'renamed');
    await this.options.store.rename(from, to);
    await this.options.preferences.renameTunnel(from, to);
    if (this.options.helper.bootTunnels.has(from)) {
      await this.storeBootCopy(to);
      await this.options.helper.setBootTunnel(from, undefined);
    }
    this.options.log.app('info', `tunnel renamed to ${to}`, from);
    await this.publishTunnels();
  }

  async deleteTunnel(name: string): Promise<void> {
    this.refuseWhileRunning(name, 'deleted');
    if (this.options.helper.bootTunnels.has(name)) await this.options.helper.setBootTunnel(name, undefined);
    await this.options.store.delete(name);
    await this.options.preferences.forgetTunnel(name);
    this.options.log.app('info', 'tunnel deleted', name);
    await this.publishTunnels();
  }

  async importFiles(
    files: readonly ImportedFile[],
    answers?: Readonly<Record<string, ImportAnswer>> | 'keep-both',
  ): Promise<ImportResult> {
    const { store } = this.options;
    const decoded = files.map(({ fileName, dataBase64 }) => ({ fileName, data: Buffer.from(dataBase64, 'base64') }));
    const { candidates, failed } = collectImportSources(decoded);
    const imported: string[] = [];
    const questions: ImportQuestion[] = [];
    const taken = new Set(await store.names());
    for (const candidate of candidates) {
      const checked = checkConfigText(candidate.text);
      if (checked.hasErrors) {
        const { errorMessages } = checked;
        const shown = errorMessages.slice(0, MAX_ISSUES_IN_MESSAGE).join('; ');
        const more = errorMessages.length - MAX_ISSUES_IN_MESSAGE;
        failed.push({ fileName: candidate.source, message: more > 0 ? `${shown} (and ${more} more)` : shown });
        continue;
      }
      const renamedFrom = fileBaseName(candidate.fileName);
      const question: ImportQuestion = {
        source: candidate.source,
        name: candidate.name,
        taken: taken.has(candidate.name),
        ...(renamedFrom !== candidate.name ? { renamedFrom } : {}),
      };
      const answer = answerFor(candidate.source, question, answers);
      if (answer === 'ask') {
        questions.push(question);
        continue;
      }
      if (answer.action === 'skip') continue;
      if (!isInterfaceName(answer.name)) {
        failed.push({
          fileName: candidate.source,
          message: `'${answer.name}' is not a valid tunnel name: use 1 to 15 letters, digits or _=+.-`,
        });
        continue;
      }
      let name = answer.name;
      if (answer.action === 'replace' && (await store.has(name))) {
        const running = this.runningState(name);
        if (running) {
          failed.push({
            fileName: candidate.source,
            message: `'${name}' is ${running}: deactivate it before replacing it`,
          });
          continue;
        }
        await store.update(name, candidate.text);
        if (this.options.helper.bootTunnels.has(name)) await this.storeBootCopy(name);
      } else {
        name = await store.createUnique(name, candidate.text, uniqueTunnelName);
      }
      taken.add(name);
      await this.applyKillSwitchDefault(name, checked.config !== undefined && routesEverything(checked.config));
      imported.push(name);
    }
    for (const failure of failed)
      this.options.log.app('warn', `import of ${failure.fileName} failed: ${failure.message}`);
    if (imported.length > 0) {
      this.options.log.app('info', `imported ${imported.join(', ')}`);
      await this.publishTunnels();
    }
    return { imported, failed, questions };
  }

  async exportTunnel(name: string): Promise<ExportedArchive> {
    const text = await this.options.store.read(name);
    return { fileName: `${name}.conf`, dataBase64: Buffer.from(text, 'utf8').toString('base64') };
  }

  async exportAll(): Promise<ExportedArchive> {
    const { store } = this.options;
    const tunnels = await Promise.all(
      (await store.names()).map(async (name) => ({ name, text: await store.read(name) })),
    );
    const day = new Date().toISOString().slice(0, 10);
    return {
      fileName: `wirefly-tunnels-${day}.zip`,
      dataBase64: Buffer.from(writeConfigArchive(tunnels)).toString('base64'),
    };
  }

  async setKillSwitch(name: string, on: boolean): Promise<void> {
    if (!(await this.options.store.has(name)))
      throw new StoreError('no-such-tunnel', `there is no tunnel named '${name}'`);
    await this.options.preferences.setKillSwitch(name, on);
    if (this.options.helper.bootTunnels.has(name)) await this.storeBootCopy(name);
    await this.publishTunnels();
  }

  async setConnectAtBoot(name: string, on: boolean): Promise<void> {
    const { helper, store, log } = this.options;
    if (!(await store.has(name))) throw new StoreError('no-such-tunnel', `there is no tunnel named '${name}'`);
    if (helper.state.status !== 'running')
      throw new Error('the helper is not running: start it first, it keeps the copy that connects at boot');
    try {
      if (on) await this.storeBootCopy(name);
      else await helper.setBootTunnel(name, undefined);
    } catch (error) {
      throw explainHelperError(error);
    }
    log.app('info', on ? 'connects at boot' : 'no longer connects at boot', name);
  }

  async activate(name: string): Promise<ActivateResult> {
    const { helper, store, preferences, log } = this.options;
    const configText = await store.read(name);
    if (helper.state.status !== 'running') await this.startHelper();
    const other = helper.tunnels.find((tunnel) => tunnel.name === name);
    if (other && !(await this.isSavedTunnel(name, other))) {
      const by = other.startedBy ? ` (started by ${other.startedBy})` : '';
      throw new StoreError(
        'tunnel-busy',
        `another tunnel named '${name}'${by} is ${other.state}, from a different configuration: bring it down first (wirefly down ${name})`,
      );
    }
    log.app('info', 'activating', name);
    try {
      const result = await helper.request('tunnel.up', {
        name,
        configText,
        killSwitch: preferences.killSwitch(name),
        replaceConflicting: true,
      });
      const replaced = result.replaced ?? [];
      if (replaced.length > 0) log.app('info', `switched from ${replaced.join(', ')}`, name);
      return { replaced };
    } catch (error) {
      log.app('error', `activation failed: ${(error as Error).message}`, name);
      throw explainHelperError(error);
    }
  }

  async deactivate(name: string): Promise<void> {
    this.options.log.app('info', 'deactivating', name);
    try {
      await this.options.helper.request('tunnel.down', { name });
    } catch (error) {
      throw explainHelperError(error);
    }
  }

  async getHelperState(): Promise<HelperState> {
    return this.options.helper.state;
  }

  getHelperService(): Promise<HelperService> {
    return this.options.service.probe();
  }

  async startHelper(): Promise<void> {
    const installed = (await this.options.service.probe()).kind === 'installed';
    await this.bringHelperUp(
      installed ? 'starting the helper service' : 'starting the helper for this session',
      installed ? () => this.options.service.start() : this.options.launchHelper,
    );
  }

  async installHelperService(): Promise<void> {
    const { helper, service, log } = this.options;
    if (helper.state.status !== 'running')
      return this.bringHelperUp('installing the helper service', () => service.install(true));
    // The helper for this session holds the socket: the service takes over from the next boot.
    await service.install(false);
    log.app('info', 'the helper service is installed and starts with the computer from the next boot on');
  }

  async getSettings(): Promise<Settings> {
    return this.options.preferences.settings;
  }

  async saveSettings(settings: Settings): Promise<void> {
    await this.options.preferences.saveSettings(settings);
    this.settingsListeners.emit(this.options.preferences.settings);
  }

  /** For the shell (launch at login); not part of WireflyApi. */
  onSettings(listener: (settings: Settings) => void): Unsubscribe {
    return this.settingsListeners.add(listener);
  }

  async getLogs(): Promise<LogLine[]> {
    return this.options.log.recent();
  }

  onTunnels(listener: (tunnels: TunnelSummary[]) => void): Unsubscribe {
    return this.tunnelListeners.add(listener);
  }

  onStats(listener: (stats: TunnelStats) => void): Unsubscribe {
    return this.statsListeners.add(listener);
  }

  onLog(listener: (line: LogLine) => void): Unsubscribe {
    return this.options.log.onLine(listener);
  }

  onHelperState(listener: (state: HelperState) => void): Unsubscribe {
    return this.options.helper.onState(listener);
  }

  private receive(event: Event): void {
    if (event.event === 'tunnel.stats') {
      const { tunnel, at, peers } = event.stats;
      this.statsListeners.emit({ tunnel, at, peers });
    } else if (event.event === 'log') {
      const { at, level, tunnel, message } = event.line;
      this.options.log.add({ at, level, source: 'helper', message, ...(tunnel === undefined ? {} : { tunnel }) });
    }
  }

  private async bringHelperUp(what: string, launch: () => Promise<void>): Promise<void> {
    const { helper, log } = this.options;
    const { state } = helper;
    if (state.status === 'running') return;
    // A helper is there but cannot be used: starting another would not help.
    if (state.status === 'incompatible')
      throw new Error(
        `the running helper speaks another protocol version than this app (${state.appVersion}): update Wirefly and restart the helper`,
      );
    if (state.status === 'not-permitted') throw new Error(state.message);
    log.app('info', what);
    helper.expectStart();
    try {
      await launch();
      await helper.waitUntilRunning(this.options.helperStartTimeoutMs ?? 15_000);
    } catch (error) {
      helper.startFailed();
      log.app('error', `${what} failed: ${(error as Error).message}`);
      throw error;
    }
  }

  /** The helper's boot copy follows the saved config and kill switch. */
  private async storeBootCopy(name: string): Promise<void> {
    const { helper, store, preferences } = this.options;
    await helper.setBootTunnel(name, { configText: await store.read(name), killSwitch: preferences.killSwitch(name) });
  }

  /** Copies saved while the helper was away are brought up to date once it is back. */
  private async refreshBootCopies(): Promise<void> {
    const { helper, store, log } = this.options;
    for (const name of helper.bootTunnels) {
      if (!(await store.has(name))) continue;
      await this.storeBootCopy(name).catch((error: Error) =>
        log.app('warn', `the boot copy could not be refreshed: ${error.message}`, name),
      );
    }
  }

  private async publishTunnels(): Promise<void> {
    if (this.tunnelListeners.size === 0) return;
    this.tunnelListeners.emit(await this.listTunnels());
  }

  private async applyKillSwitchDefault(name: string, fullTunnel: boolean): Promise<void> {
    await this.options.preferences.setKillSwitch(
      name,
      fullTunnel && this.options.preferences.settings.killSwitchDefault,
    );
  }

  /** Whether the helper's tunnel of this name is the saved config's: the same interface public key. */
  private async isSavedTunnel(name: string, live: HelperTunnel): Promise<boolean> {
    if (live.publicKey === undefined) return false;
    const parsed = parseConfig(await this.options.store.read(name).catch(() => ''));
    const privateKey = parsed.ok ? parsed.config.interface.privateKey : undefined;
    return privateKey !== undefined && keyToBase64(publicKeyFromPrivate(privateKey)) === live.publicKey;
  }

  private refuseWhileRunning(name: string, what: string): void {
    const running = this.runningState(name);
    if (running) throw new StoreError('tunnel-busy', `'${name}' is ${running}: deactivate it before it can be ${what}`);
  }

  private runningState(name: string): string | undefined {
    const running = this.options.helper.tunnels.find((tunnel) => tunnel.name === name);
    return running && running.state !== 'inactive' ? running.state : undefined;
  }
}

/**
 * What to do with one config: as answered; without answers, import it unless
 * its name is taken or had to change (then ask); with answers, those not
 * answered were imported by the call that asked, so they are left alone.
 */
function answerFor(
  source: string,
  question: ImportQuestion,
  answers: Readonly<Record<string, ImportAnswer>> | 'keep-both' | undefined,
): ImportAnswer | 'ask' {
  if (answers === 'keep-both') return { action: 'keep-both', name: question.name };
  if (answers !== undefined) return answers[source] ?? { action: 'skip', name: question.name };
  if (question.taken || question.renamedFrom !== undefined) return 'ask';
  return { action: 'keep-both', name: question.name };
}

function summaryOf(live: HelperTunnel): Omit<TunnelSummary, 'connectAtBoot' | 'owned'> {
  return {
    name: live.name,
    state: live.state,
    killSwitch: live.killSwitch,
    ...(live.error ? { error: live.error } : {}),
    ...(live.startedBy ? { startedBy: live.startedBy } : {}),
  };
}

function describeHelperState(state: HelperState): string {
  switch (state.status) {
    case 'running':
      return `running (version ${state.version})`;
    case 'incompatible':
      return `incompatible (helper ${state.helperVersion}, app ${state.appVersion})`;
    case 'not-permitted':
      return `not permitted: ${state.message}`;
    default:
      return state.status;
  }
}

/** Helper errors keep their code; invalid configs say where. */
function explainHelperError(error: unknown): Error {
  if (!(error instanceof RequestError) || !error.configErrors?.length) return error as Error;
  const where = error.configErrors
    .slice(0, MAX_ISSUES_IN_MESSAGE)
    .map((issue) => `line ${issue.line}: ${issue.message}`);
  return new RequestError(error.code, `${error.message} (${where.join('; ')})`, error.configErrors);
}
