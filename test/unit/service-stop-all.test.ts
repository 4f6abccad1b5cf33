// `wirefly-helper stop-all`, which the deb's prerm runs: every live helper named
// by a pid file gets SIGTERM and is waited for; a pid file left by a crash that
// now names another process is not acted on; journals are recovered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { livingHelper } from '../../helper/src/service/helper-pid-file.js';
import { parseStopAllArguments, stopAll } from '../../helper/src/service/stop-all.js';

function childExit(child: ReturnType<typeof spawn>): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
}

test('stop-all stops the helpers its pid files name, leaves other processes, and recovers journals', async () => {
  const root = mkdtempSync(join(tmpdir(), 'wirefly-stop-all-'));
  // Processes whose command lines look like a helper's, and like something else.
  const helper = spawn(process.execPath, [
    '-e',
    'setInterval(() => {}, 1000)',
    '/opt/Wirefly/resources/app.asar.unpacked/helper/bin/wirefly-helper',
    'serve',
  ]);
  const bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  const helperExit = childExit(helper);
  try {
    for (const [uid, pid] of [
      ['1000', helper.pid],
      ['1001', bystander.pid],
    ] as const) {
      mkdirSync(join(root, 'run', uid), { recursive: true });
      writeFileSync(join(root, 'run', uid, 'helper.pid'), `${pid}\n`);
    }
    mkdirSync(join(root, 'state', '1000', 'journal'), { recursive: true });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await livingHelper(join(root, 'run', '1000', 'helper.pid')), helper.pid);
    assert.equal(await livingHelper(join(root, 'run', '1001', 'helper.pid')), undefined);
    assert.equal(await livingHelper(join(root, 'run', 'none', 'helper.pid')), undefined);

    const report: string[] = [];
    await stopAll({
      runtimeRoot: join(root, 'run'),
      stateRoot: join(root, 'state'),
      graceMs: 5_000,
      report: (line) => report.push(line),
    });
    assert.equal(await helperExit, 'SIGTERM');
    assert.deepEqual(report, [`stopped helper ${helper.pid}`]);
    assert.equal(bystander.exitCode, null, 'a process that is not a helper is left alone');
    assert.equal(bystander.signalCode, null);
  } finally {
    helper.kill('SIGKILL');
    bystander.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
});

test('stop-all takes its two roots and nothing else', () => {
  assert.deepEqual(parseStopAllArguments(['--runtime-dir', '/r', '--state-root', '/s']), {
    runtimeRoot: '/r',
    stateRoot: '/s',
    graceMs: 20_000,
  });
  assert.match(parseStopAllArguments(['--all']) as string, /Usage/);
  assert.match(parseStopAllArguments(['--runtime-dir']) as string, /Usage/);
});
