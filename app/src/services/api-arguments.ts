// The main process trusts no renderer: every call's arguments are checked
// against a schema before a service sees them.
import { z } from 'zod';
import type { ApiCall } from '../api/api-protocol.js';

const Name = z.string().max(64);
const Text = z.string().max(2 * 1024 * 1024);
const ImportedFile = z.object({ fileName: z.string().max(1024), dataBase64: z.string().max(128 * 1024 * 1024) });
const Settings = z.object({
  launchAtLogin: z.boolean(),
  killSwitchDefault: z.boolean(),
  theme: z.enum(['system', 'light', 'dark']),
  rateUnit: z.enum(['bits', 'bytes']),
});
const ImportAnswer = z.object({ action: z.enum(['replace', 'keep-both', 'skip']), name: Name });
const ImportAnswers = z.union([z.literal('keep-both'), z.record(z.string().max(2048), ImportAnswer)]).optional();

export const API_ARGUMENTS: Record<ApiCall, z.ZodTuple> = {
  listTunnels: z.tuple([]),
  getConfig: z.tuple([Name]),
  saveConfig: z.tuple([Name, Text]),
  createTunnel: z.tuple([Name, Text]),
  renameTunnel: z.tuple([Name, Name]),
  deleteTunnel: z.tuple([Name]),
  importFiles: z.tuple([z.array(ImportedFile).max(1000), ImportAnswers]),
  exportAll: z.tuple([]),
  exportTunnel: z.tuple([Name]),
  setKillSwitch: z.tuple([Name, z.boolean()]),
  activate: z.tuple([Name]),
  deactivate: z.tuple([Name]),
  getHelperState: z.tuple([]),
  getHelperService: z.tuple([]),
  startHelper: z.tuple([]),
  installHelperService: z.tuple([]),
  setConnectAtBoot: z.tuple([Name, z.boolean()]),
  getSettings: z.tuple([]),
  saveSettings: z.tuple([Settings]),
  getLogs: z.tuple([]),
};

export class BadArgumentsError extends Error {
  readonly code = 'bad-arguments';
}

export function checkArguments(method: ApiCall, args: unknown): unknown[] {
  const parsed = API_ARGUMENTS[method].safeParse(args);
  if (!parsed.success) throw new BadArgumentsError(`${method}: ${parsed.error.issues[0]?.message ?? 'bad arguments'}`);
  return parsed.data as unknown[];
}
