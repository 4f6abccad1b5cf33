// The service's state folder under Wine: created under ProgramData's layout,
// its access list (SYSTEM and Administrators, inherited by what is inside)
// applied with SetNamedSecurityInfoW, which Wine accepts; Wine keeps no access
// list on files or folders (reading one back gives its default), so that the
// desktop user cannot read a boot copy is for a real Windows to show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMINISTRATORS_ONLY_TREE_SDDL, applyAccessList } from '../../helper/src/os/win32/security.js';
import {
  programDataFolder,
  win32HelperSettingsPath,
  win32StateDirectory,
  win32StateStore,
} from '../../helper/src/os/win32/state-store.js';
import { parseServeArguments } from '../../helper/src/service/serve.js';

const USER = 'S-1-5-21-3623811015-3361044348-30300820-1013';

test("the state folder: %ProgramData%\\Wirefly\\SID, the helper's settings beside it, serve's defaults", () => {
  assert.equal(win32StateDirectory(USER, 'D:\\Data'), `D:\\Data\\Wirefly\\${USER}`);
  assert.equal(win32HelperSettingsPath('D:\\Data'), 'D:\\Data\\Wirefly\\helper.json');
  assert.match(programDataFolder(), /^[A-Z]:\\/);
  assert.throws(() => win32StateDirectory('..\\..\\Windows'), /not a user's SID/);
  const options = parseServeArguments(['--user', USER]);
  assert.ok(typeof options !== 'string', options as string);
  assert.equal(options.stateDirectory, win32StateDirectory(USER));
});

test('prepare: the folder made, SYSTEM and Administrators set on the Wirefly folder and then on the user folder', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'wirefly-store-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const directory = join(root, 'Wirefly', USER);
  const applied: string[] = [];
  await win32StateStore((path, sddl) => {
    applyAccessList(path, sddl);
    applied.push(`${path} ${sddl}`);
  }).prepare(directory);
  assert.ok(existsSync(directory));
  assert.deepEqual(applied, [
    `${join(root, 'Wirefly')} ${ADMINISTRATORS_ONLY_TREE_SDDL}`,
    `${directory} ${ADMINISTRATORS_ONLY_TREE_SDDL}`,
  ]);
  assert.equal(ADMINISTRATORS_ONLY_TREE_SDDL, 'D:P(A;OICI;GA;;;SY)(A;OICI;GA;;;BA)');
});
