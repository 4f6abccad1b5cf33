// The real binding's process side, which is plain Node: tools run as argument
// arrays with stdout and stderr apart, a failure as CommandFailed, and the
// route monitor's messages; a stand-in `route` on PATH plays macOS's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CommandFailed } from '../../helper/src/os/command.js';
import { runDarwinCommand, watchRouteMonitor } from '../../helper/src/os/darwin/system-binding.js';

test('a tool gives its stdout and stderr apart, its input on stdin; a failure is CommandFailed with what it said', async () => {
  assert.deepEqual(await runDarwinCommand(['sh', '-c', 'cat; echo err >&2'], { input: 'rules\n' }), {
    stdout: 'rules\n',
    stderr: 'err\n',
  });
  await assert.rejects(
    runDarwinCommand(['sh', '-c', 'echo "route: writing to routing socket: not in table" >&2; exit 1']),
    (error: unknown) => {
      assert.ok(error instanceof CommandFailed);
      assert.equal(error.exitCode, 1);
      assert.match(error.stderr, /not in table/);
      return true;
    },
  );
  // networksetup and launchctl sometimes explain on stdout alone.
  await assert.rejects(
    runDarwinCommand(['sh', '-c', 'echo "Could not find service" ; exit 113']),
    /Could not find service/,
  );
});

test('route -n monitor: each message that starts with RTM_ is a change, split across reads or not; stop ends the monitor', async (t) => {
  const bin = mkdtempSync(join(tmpdir(), 'wirefly-route-'));
  t.after(() => rmSync(bin, { recursive: true, force: true }));
  const script = join(bin, 'route');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      '[ "$1 $2" = "-n monitor" ] || exit 2',
      "printf 'got message of size 124 on Mon Dec  7 01:02:03 2026\\nRTM_ADD: Add Route: len 124, pid: 0, seq 0'",
      'sleep 0.2',
      "printf ', errno 0, flags:<UP,GATEWAY,DONE>\\nlocks:  inits:\\nsockaddrs: <DST,GATEWAY>\\n default 10.0.0.1\\n\\n'",
      "printf 'RTM_DELETE: Delete Route: len 124\\n'",
      'exec sleep 30',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  const path = process.env.PATH;
  process.env.PATH = `${bin}${delimiter}${path ?? ''}`;
  t.after(() => {
    process.env.PATH = path;
  });
  let changes = 0;
  const stop = watchRouteMonitor(() => changes++);
  const deadline = Date.now() + 5000;
  while (changes < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  stop();
  assert.equal(changes, 2);
});
