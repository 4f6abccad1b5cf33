// Runs the compiled test suites with node's own test runner, as one run so that
// the runner prints a single summary. Suites: unit, integration (root, network
// namespaces), e2e (Chromium against the browser shell), packaging (the deb
// built, installed with dpkg and removed). With no argument, all four; an
// argument SUITE/NAME runs that one file (dist/test/SUITE/NAME.test.js).
import { readdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const suites = process.argv.length > 2 ? process.argv.slice(2) : ['unit', 'integration', 'e2e', 'packaging'];
const files = [];
for (const suite of suites) {
  if (suite.includes('/')) {
    const file = join('dist', 'test', `${suite}.test.js`);
    if (!existsSync(file)) throw new Error(`no compiled test at ${file}`);
    files.push(file);
    continue;
  }
  const dir = join('dist', 'test', suite);
  if (!existsSync(dir)) throw new Error(`no compiled suite at ${dir}: run npm run build first`);
  for (const name of readdirSync(dir).sort()) {
    if (name.endsWith('.test.js')) files.push(join(dir, name));
  }
}
if (files.length === 0) throw new Error(`no test files in ${suites.join(', ')}`);

// Integration tests share the host's network namespaces and process table, so
// files run one at a time; each file still runs its own tests in order.
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=1', '--test-timeout=600000', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
