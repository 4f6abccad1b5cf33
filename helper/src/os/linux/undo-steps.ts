// The journal's vocabulary on Linux: each record says how to take one system
// change back. Records are plain data read back from disk after a crash, so
// they are checked field by field before anything is run, and each kind maps to
// one fixed command: a journal can never ask for an arbitrary command line.
// Every step is idempotent: undoing what is already gone succeeds.
import { isInterfaceName } from '../../config/interface-name.js';
import { parseCidr, type IpFamily } from '../../net/ip.js';
import { runIgnoringAbsent, spawnCommand, type CommandRunner } from '../command.js';
import { deleteNftTable, isWireflyNftTable } from './nftables.js';
import { restoreResolvConf } from './resolv-conf.js';

export type NetworkUndoStep =
  | { readonly op: 'delete-link'; readonly ifname: string }
  | { readonly op: 'delete-address'; readonly ifname: string; readonly address: string }
  | { readonly op: 'restore-mtu'; readonly ifname: string; readonly mtu: number }
  | { readonly op: 'set-link-down'; readonly ifname: string }
  | { readonly op: 'delete-route'; readonly ifname: string; readonly destination: string; readonly table: RouteTable }
  | { readonly op: 'delete-fwmark-rule'; readonly family: IpFamily; readonly fwmark: number }
  | { readonly op: 'delete-suppress-rule'; readonly family: IpFamily }
  | { readonly op: 'delete-nft-table'; readonly table: string }
  | { readonly op: 'restore-sysctl'; readonly key: SysctlKey; readonly value: string }
  | {
      readonly op: 'restore-resolv-conf';
      readonly path: string;
      readonly marker: string;
      readonly original: string | null;
    }
  | { readonly op: 'resolvconf-delete'; readonly ifname: string }
  | { readonly op: 'resolved-revert'; readonly ifname: string };

export type RouteTable = 'main' | number;

/** The only kernel setting the helper changes (for full tunnels, as wg-quick). */
export const SRC_VALID_MARK = 'net.ipv4.conf.all.src_valid_mark';
export type SysctlKey = typeof SRC_VALID_MARK;

/** Where a change is made: commands to run, and the journal that hears of each change first. */
export interface JournaledSystem {
  readonly run: CommandRunner;
  /** Durably records how to undo a change; call it before making the change. */
  record(step: NetworkUndoStep): Promise<void>;
}

export function familyFlag(family: IpFamily): '-4' | '-6' {
  return family === 4 ? '-4' : '-6';
}

/** `resolvconf` record name for an interface, as wg-quick uses. */
export function resolvconfRecordName(ifname: string): string {
  return `tun.${ifname}`;
}

export class InvalidUndoStep extends Error {
  constructor(step: unknown) {
    super(`not a valid network undo step: ${JSON.stringify(step)}`);
    this.name = 'InvalidUndoStep';
  }
}

/** The journal's performer for network steps; pass it to Journal.open. */
export function networkUndoPerformer(run: CommandRunner = spawnCommand): (step: unknown) => Promise<void> {
  return (step) => {
    if (!isNetworkUndoStep(step)) return Promise.reject(new InvalidUndoStep(step));
    return performNetworkUndoStep(run, step);
  };
}

export async function performNetworkUndoStep(run: CommandRunner, step: NetworkUndoStep): Promise<void> {
  switch (step.op) {
    case 'delete-link':
      return runIgnoringAbsent(run, ['ip', 'link', 'delete', 'dev', step.ifname]);
    case 'delete-address':
      return runIgnoringAbsent(run, ['ip', 'address', 'delete', step.address, 'dev', step.ifname]);
    case 'restore-mtu':
      return runIgnoringAbsent(run, ['ip', 'link', 'set', 'dev', step.ifname, 'mtu', String(step.mtu)]);
    case 'set-link-down':
      return runIgnoringAbsent(run, ['ip', 'link', 'set', 'dev', step.ifname, 'down']);
    case 'delete-route': {
      const family = parseCidr(step.destination)?.family ?? 4;
      return runIgnoringAbsent(run, [
        'ip',
        familyFlag(family),
        'route',
        'delete',
        step.destination,
        'dev',
        step.ifname,
        'table',
        String(step.table),
      ]);
    }
    case 'delete-fwmark-rule': {
      const mark = String(step.fwmark);
      return runIgnoringAbsent(run, [
        'ip',
        familyFlag(step.family),
        'rule',
        'delete',
        'not',
        'fwmark',
        mark,
        'table',
        mark,
      ]);
    }
    case 'delete-suppress-rule':
      return runIgnoringAbsent(run, [
        'ip',
        familyFlag(step.family),
        'rule',
        'delete',
        'table',
        'main',
        'suppress_prefixlength',
        '0',
      ]);
    case 'delete-nft-table':
      return deleteNftTable(run, step.table);
    case 'restore-sysctl':
      await run(['sysctl', '-qw', `${step.key}=${step.value}`]);
      return;
    case 'restore-resolv-conf':
      return restoreResolvConf(step);
    case 'resolvconf-delete':
      // -f: no complaint when the record is already gone.
      await run(['resolvconf', '-d', resolvconfRecordName(step.ifname), '-f']);
      return;
    case 'resolved-revert':
      return runIgnoringAbsent(run, ['resolvectl', 'revert', step.ifname]);
  }
}

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isIfname = (value: unknown): boolean => typeof value === 'string' && isInterfaceName(value);
const isFamily = (value: unknown): boolean => value === 4 || value === 6;
const isUint32 = (value: unknown): boolean =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffffffff;
const isCidrText = (value: unknown): boolean => typeof value === 'string' && parseCidr(value) !== undefined;
const isTable = (value: unknown): boolean => value === 'main' || (isUint32(value) && value !== 0);

const VALIDATORS: Readonly<Record<NetworkUndoStep['op'], (step: Fields) => boolean>> = {
  'delete-link': (s) => isIfname(s.ifname),
  'delete-address': (s) => isIfname(s.ifname) && isCidrText(s.address),
  'restore-mtu': (s) => isIfname(s.ifname) && isUint32(s.mtu),
  'set-link-down': (s) => isIfname(s.ifname),
  'delete-route': (s) => isIfname(s.ifname) && isCidrText(s.destination) && isTable(s.table),
  'delete-fwmark-rule': (s) => isFamily(s.family) && isUint32(s.fwmark) && s.fwmark !== 0,
  'delete-suppress-rule': (s) => isFamily(s.family),
  'delete-nft-table': (s) => typeof s.table === 'string' && isWireflyNftTable(s.table),
  'restore-sysctl': (s) => s.key === SRC_VALID_MARK && typeof s.value === 'string' && /^[0-9]+$/.test(s.value),
  'restore-resolv-conf': (s) =>
    typeof s.path === 'string' &&
    s.path.startsWith('/') &&
    typeof s.marker === 'string' &&
    (s.original === null || typeof s.original === 'string'),
  'resolvconf-delete': (s) => isIfname(s.ifname),
  'resolved-revert': (s) => isIfname(s.ifname),
};

export function isNetworkUndoStep(value: unknown): value is NetworkUndoStep {
  if (!isObject(value) || typeof value.op !== 'string' || !Object.hasOwn(VALIDATORS, value.op)) return false;
  return VALIDATORS[value.op as NetworkUndoStep['op']](value);
}
