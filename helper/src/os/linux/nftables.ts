// nftables tables owned by Wirefly: one per purpose and tunnel, loaded as a
// whole script (atomically, by `nft -f -`) and removed as a whole, so that
// undo never has to find individual rules among other software's.
import { runIgnoringAbsent, type CommandRunner } from '../command.js';
import type { JournaledSystem } from './undo-steps.js';

export type NftPurpose = 'killswitch' | 'fullroute';

const TABLE_PREFIX = 'wirefly-';
const TABLE_NAME = /^wirefly-(killswitch|fullroute)-[A-Za-z0-9._-]{1,60}$/;

/**
 * Interface names may hold "=" and "+", which nft identifiers may not; they are
 * written as _XX (hex), and "_" itself too so that the encoding stays one-to-one.
 */
export function nftTableName(purpose: NftPurpose, ifname: string): string {
  const encoded = ifname.replace(/[^A-Za-z0-9.-]/g, (c) => `_${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `${TABLE_PREFIX}${purpose}-${encoded}`;
}

export function isWireflyNftTable(name: string): boolean {
  return TABLE_NAME.test(name);
}

/** Journals the table's removal, then loads `script`, which must define `table inet <table>`. */
export async function loadNftTable(system: JournaledSystem, table: string, script: string): Promise<void> {
  await system.record({ op: 'delete-nft-table', table });
  await system.run(['nft', '-f', '-'], { input: script });
}

export function deleteNftTable(run: CommandRunner, table: string): Promise<void> {
  return runIgnoringAbsent(run, ['nft', 'delete', 'table', 'inet', table]);
}
