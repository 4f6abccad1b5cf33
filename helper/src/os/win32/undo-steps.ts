// The journal's vocabulary on Windows: each record says how to take one change
// back, as plain data checked field by field after a crash before any call is
// made; each kind maps to one IP Helper or WFP call. Every step is idempotent.
// LUIDs are decimal text (JSON has no 64-bit integers).
import { formatCidr, formatIpAddress, parseCidr, parseIpAddress, type Cidr, type IpFamily } from '../../net/ip.js';
import type { UndoPerformer } from '../network.js';
import type { Win32NetworkApi, Win32Route } from './api.js';

export type Win32UndoStep =
  | { readonly op: 'win32-delete-address'; readonly luid: string; readonly address: string }
  | {
      readonly op: 'win32-delete-route';
      readonly luid: string;
      readonly destination: string;
      readonly nextHop: string | null;
      readonly metric: number;
    }
  | { readonly op: 'win32-clear-dns'; readonly luid: string; readonly family: IpFamily }
  | { readonly op: 'win32-delete-firewall' };

export function deleteAddressStep(luid: bigint, address: Cidr): Win32UndoStep {
  return { op: 'win32-delete-address', luid: String(luid), address: formatCidr(address) };
}

export function deleteRouteStep(route: Win32Route): Win32UndoStep {
  return {
    op: 'win32-delete-route',
    luid: String(route.luid),
    destination: formatCidr(route.destination),
    nextHop: route.nextHop ? formatIpAddress(route.nextHop) : null,
    metric: route.metric,
  };
}

export class InvalidWin32UndoStep extends Error {
  constructor(step: unknown) {
    super(`not a valid Windows network undo step: ${JSON.stringify(step)}`);
    this.name = 'InvalidWin32UndoStep';
  }
}

type Fields = Record<string, unknown>;
const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isLuid = (value: unknown): boolean =>
  typeof value === 'string' && /^[1-9][0-9]{0,19}$/.test(value) && BigInt(value) < 2n ** 64n;
const isCidrText = (value: unknown): boolean => typeof value === 'string' && parseCidr(value) !== undefined;
const isAddressText = (value: unknown): boolean => typeof value === 'string' && parseIpAddress(value) !== undefined;

const VALIDATORS: Readonly<Record<Win32UndoStep['op'], (step: Fields) => boolean>> = {
  'win32-delete-address': (s) => isLuid(s.luid) && isCidrText(s.address),
  'win32-delete-route': (s) =>
    isLuid(s.luid) &&
    isCidrText(s.destination) &&
    (s.nextHop === null || isAddressText(s.nextHop)) &&
    Number.isInteger(s.metric) &&
    (s.metric as number) >= 0 &&
    (s.metric as number) <= 0xffffffff,
  'win32-clear-dns': (s) => isLuid(s.luid) && (s.family === 4 || s.family === 6),
  'win32-delete-firewall': (s) => Object.keys(s).length === 1,
};

export function isWin32UndoStep(value: unknown): value is Win32UndoStep {
  if (!isObject(value) || typeof value.op !== 'string' || !Object.hasOwn(VALIDATORS, value.op)) return false;
  return VALIDATORS[value.op as Win32UndoStep['op']](value);
}

export function performWin32UndoStep(api: Win32NetworkApi, step: Win32UndoStep): void {
  switch (step.op) {
    case 'win32-delete-address':
      return api.deleteAddress(BigInt(step.luid), parseCidr(step.address)!);
    case 'win32-delete-route': {
      const nextHop = step.nextHop === null ? undefined : parseIpAddress(step.nextHop);
      return api.deleteRoute({
        luid: BigInt(step.luid),
        destination: parseCidr(step.destination)!,
        ...(nextHop ? { nextHop } : {}),
        metric: step.metric,
      });
    }
    case 'win32-clear-dns':
      return api.clearDns(BigInt(step.luid), step.family);
    case 'win32-delete-firewall':
      return api.deleteFirewallObjects();
  }
}

export function win32UndoPerformer(api: () => Win32NetworkApi): UndoPerformer {
  return async (step) => {
    if (!isWin32UndoStep(step)) throw new InvalidWin32UndoStep(step);
    performWin32UndoStep(api(), step);
  };
}
