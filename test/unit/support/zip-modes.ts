// The Unix mode each entry of a zip archive unpacks with, read from its central
// directory: "version made by" says Unix (3) and the upper half of the external
// attributes holds the mode.
import assert from 'node:assert/strict';

const CENTRAL_ENTRY = Buffer.from('PK\x01\x02', 'latin1');

export function zipEntryModes(zip: Buffer): number[] {
  const modes: number[] = [];
  for (let at = zip.indexOf(CENTRAL_ENTRY); at >= 0; at = zip.indexOf(CENTRAL_ENTRY, at + 4)) {
    assert.equal(zip[at + 5], 3, 'made by Unix');
    modes.push(zip.readUInt32LE(at + 38) >>> 16);
  }
  return modes;
}
