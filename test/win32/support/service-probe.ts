// Run by Wine's service manager in test/win32/service.test.ts: connects to it
// through the addon's dispatcher as the helper does, writes to a log when it
// starts, when a stop is asked for and when it reports itself stopped.
import { appendFileSync } from 'node:fs';
import { win32ServiceRuntime } from '../../../helper/src/os/win32/service-runtime.js';

const log = process.argv[5];
if (!log) throw new Error('usage: service-probe serve --user SID LOG');
appendFileSync(log, `started ${process.argv.slice(2, 5).join(' ')}\n`);
const runtime = win32ServiceRuntime().start(() => {
  appendFileSync(log, 'stop requested\n');
  setTimeout(() => {
    appendFileSync(log, 'stopped\n');
    runtime.stopped(0);
  }, 100);
});
