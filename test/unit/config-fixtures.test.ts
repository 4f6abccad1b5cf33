// The corpus: every valid file parses with exactly the warnings it states, every
// invalid file fails with exactly the errors it states, and every message is a
// sentence naming its line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfigBytes, formatDiagnostic, parseConfig, serializeConfig } from '../../helper/src/config/index.js';
import { loadFixtures, sortExpectations } from '../fixtures/configs/corpus.js';

const valid = loadFixtures('valid');
const invalid = loadFixtures('invalid');

test('the corpus has valid and invalid files, each invalid one stating its errors and the verdict of wg', () => {
  assert.ok(valid.length >= 15, `only ${valid.length} valid fixtures`);
  assert.ok(invalid.length >= 20, `only ${invalid.length} invalid fixtures`);
  for (const fixture of invalid) {
    assert.ok(fixture.expectedErrors.length > 0, `${fixture.name} states no expected error`);
    assert.notEqual(fixture.wgSetconfAccepts, undefined, `${fixture.name} states no wg-setconf verdict`);
  }
});

for (const fixture of valid) {
  test(`valid/${fixture.name} parses with exactly its stated warnings`, () => {
    const checked = checkConfigBytes(fixture.bytes);
    assert.deepEqual(checked.errors.map(formatDiagnostic), []);
    const warnings = checked.warnings.map((w) => ({ line: w.line, code: w.code }));
    assert.deepEqual(
      sortExpectations(warnings),
      sortExpectations(fixture.expectedWarnings),
      checked.warnings.map(formatDiagnostic).join('\n'),
    );
  });

  test(`valid/${fixture.name} survives serialize and parse unchanged`, () => {
    const first = checkConfigBytes(fixture.bytes).config!;
    const again = parseConfig(serializeConfig(first));
    assert.ok(again.ok);
    assert.deepEqual(again.config, first);
  });
}

for (const fixture of invalid) {
  test(`invalid/${fixture.name} fails with exactly its stated errors`, () => {
    const checked = checkConfigBytes(fixture.bytes);
    assert.equal(checked.config, undefined);
    const errors = checked.errors.map((e) => ({ line: e.line, code: e.code }));
    assert.deepEqual(
      sortExpectations(errors),
      sortExpectations(fixture.expectedErrors),
      checked.errors.map(formatDiagnostic).join('\n'),
    );
    for (const error of checked.errors) {
      const text = formatDiagnostic(error);
      if (error.line > 0) assert.match(text, new RegExp(`^line ${error.line}: `));
      assert.ok(error.message.length > 20 && !error.message.includes('undefined'), text);
      if (error.line > 0) assert.ok(error.column >= 1, `${text}: column ${error.column}`);
    }
  });
}
