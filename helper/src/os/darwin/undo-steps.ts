// The journal's vocabulary on macOS: each record says how to take one system
// change back. Records are plain data read back from disk after a crash, so
// they are checked field by field before anything runs, and each kind maps to
// one fixed command: a journal can never ask for an arbitrary command line.
// Every step is idempotent: undoing what is already gone succeeds.
import { parseCidr, parseIpAddress, type IpFamily } from '../../net/ip.js';
import type { DarwinCommandRunner } from './binding.js';
import { CommandFailed } from '../command.js';
import { networksetup, runIgnoringAbsent } from './command.js';

export type DarwinUndoStep =
  | { readonly op: 'delete-address'; readonly ifname: string; readonly address: string }
  | { readonly op: 'restore-mtu'; readonly ifname: string; readonly mtu: number }
  | { readonly op: 'set-link-down'; readonly ifname: string }
  | { readonly op: 'delete-route'; readonly ifname: string; readonly destination: string }
  | { readonly op: 'delete-host-route'; readonly address: string }
  | { readonly op: 'restore-dns-servers'; readonly service: string; readonly servers: readonly string[] | null }
  | { readonly op: 'restore-search-domains'; readonly service: string; readonly domains: readonly string[] | null }
  | { readonly op: 'flush-pf-anchor'; readonly anchor: string }
  | { readonly op: 'release-pf-token'; readonly token: string };

/** Where a change is made: commands to run, and the journal that hears of each change first. */
export interface JournaledSystem {
  readonly run: DarwinCommandRunner;
  /** Durably records how to undo a change; call it before making the change. */
  record(step: DarwinUndoStep): Promise<void>;
  /** Drops a recorded step (the same object) whose change has been taken back already. */
  retire(step: DarwinUndoStep): Promise<void>;
}

/** The prefix of every pf anchor the helper loads; Apple's main ruleset evaluates anchors under com.apple/. */
export const ANCHOR_PREFIX = 'com.apple/wirefly.';
/** utun interfaces are named by the kernel: utun and a unit number. */
const UTUN_NAME = /^utun[0-9]{1,5}$/;
const PF_TOKEN = /^[0-9]{1,20}$/;
/** networksetup writes "Empty" for a setting it should remove. */
const EMPTY = 'Empty';

export function isUtunName(value: unknown): value is string {
  return typeof value === 'string' && UTUN_NAME.test(value);
}

export function familyOption(family: IpFamily): '-inet' | '-inet6' {
  return family === 4 ? '-inet' : '-inet6';
}

export class InvalidUndoStep extends Error {
  constructor(step: unknown) {
    super(`not a valid macOS network undo step: ${JSON.stringify(step)}`);
    this.name = 'InvalidUndoStep';
  }
}

/** The journal's performer for macOS network steps. */
export function darwinUndoPerformer(run: DarwinCommandRunner): (step: unknown) => Promise<void> {
  return (step) => {
    if (!isDarwinUndoStep(step)) return Promise.reject(new InvalidUndoStep(step));
    return performDarwinUndoStep(run, step);
  };
}

export async function performDarwinUndoStep(run: DarwinCommandRunner, step: DarwinUndoStep): Promise<void> {
  switch (step.op) {
    case 'delete-address': {
      const cidr = parseCidr(step.address);
      const bare = step.address.split('/')[0] ?? step.address;
      return runIgnoringAbsent(run, ['ifconfig', step.ifname, cidr?.family === 6 ? 'inet6' : 'inet', bare, '-alias']);
    }
    case 'restore-mtu':
      return runIgnoringAbsent(run, ['ifconfig', step.ifname, 'mtu', String(step.mtu)]);
    case 'set-link-down':
      return runIgnoringAbsent(run, ['ifconfig', step.ifname, 'down']);
    case 'delete-route': {
      const family = parseCidr(step.destination)?.family ?? 4;
      return runIgnoringAbsent(run, [
        'route',
        '-q',
        '-n',
        'delete',
        familyOption(family),
        step.destination,
        '-interface',
        step.ifname,
      ]);
    }
    case 'delete-host-route': {
      const family = parseIpAddress(step.address)?.family ?? 4;
      return runIgnoringAbsent(run, ['route', '-q', '-n', 'delete', familyOption(family), step.address]);
    }
    case 'restore-dns-servers':
      await restoreService(run, ['-setdnsservers', step.service, ...(step.servers ?? [EMPTY])]);
      return;
    case 'restore-search-domains':
      await restoreService(run, ['-setsearchdomains', step.service, ...(step.domains ?? [EMPTY])]);
      return;
    case 'flush-pf-anchor':
      // Rules only: "-F all" would also flush every state of the system, not just the anchor's.
      return runIgnoringAbsent(run, ['pfctl', '-a', step.anchor, '-F', 'rules']);
    case 'release-pf-token':
      return releasePfToken(run, step.token);
  }
}

/**
 * A reference pf no longer holds (the machine restarted since) is released
 * already: pfctl reports its ioctl's refusal, DIOCSTOPREF, whatever the errno.
 */
async function releasePfToken(run: DarwinCommandRunner, token: string): Promise<void> {
  try {
    await run(['pfctl', '-X', token]);
  } catch (error) {
    if (!(error instanceof CommandFailed && /DIOCSTOPREF/.test(error.stderr))) throw error;
  }
}

/** A service removed meanwhile has nothing left to restore. */
async function restoreService(run: DarwinCommandRunner, args: readonly string[]): Promise<void> {
  try {
    await networksetup(run, args);
  } catch (error) {
    if (!(error instanceof Error && /is not a recognized network service/.test(error.message))) throw error;
  }
}

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isUint32 = (value: unknown): boolean =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffffffff;
const isCidrText = (value: unknown): boolean => typeof value === 'string' && parseCidr(value) !== undefined;
const isAddressText = (value: unknown): boolean => typeof value === 'string' && parseIpAddress(value) !== undefined;
/** A network service's name as networksetup lists it: printable text of one line. */
export const isServiceName = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= 255 && !/[\p{Cc}]/u.test(value);
export const isDomainName = (value: unknown): value is string =>
  typeof value === 'string' && /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})$/.test(value);
const isListOrNull = (value: unknown, item: (entry: unknown) => boolean): boolean =>
  value === null || (Array.isArray(value) && value.length > 0 && value.length <= 64 && value.every(item));

const VALIDATORS: Readonly<Record<DarwinUndoStep['op'], (step: Fields) => boolean>> = {
  'delete-address': (s) => isUtunName(s.ifname) && isCidrText(s.address),
  'restore-mtu': (s) => isUtunName(s.ifname) && isUint32(s.mtu) && (s.mtu as number) > 0,
  'set-link-down': (s) => isUtunName(s.ifname),
  'delete-route': (s) => isUtunName(s.ifname) && isCidrText(s.destination),
  'delete-host-route': (s) => isAddressText(s.address),
  'restore-dns-servers': (s) => isServiceName(s.service) && isListOrNull(s.servers, isAddressText),
  'restore-search-domains': (s) => isServiceName(s.service) && isListOrNull(s.domains, isDomainName),
  'flush-pf-anchor': (s) =>
    typeof s.anchor === 'string' &&
    s.anchor.startsWith(ANCHOR_PREFIX) &&
    isUtunName(s.anchor.slice(ANCHOR_PREFIX.length)),
  'release-pf-token': (s) => typeof s.token === 'string' && PF_TOKEN.test(s.token),
};

export function isDarwinUndoStep(value: unknown): value is DarwinUndoStep {
  if (!isObject(value) || typeof value.op !== 'string' || !Object.hasOwn(VALIDATORS, value.op)) return false;
  return VALIDATORS[value.op as DarwinUndoStep['op']](value);
}
