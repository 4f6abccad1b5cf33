// The SMAppService daemon serves whoever is at the console: who that is, as
// macOS reports it, and how the helper's socket follows a login, a switch of
// user and the login window (fake sockets record what was listened on).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darwinPlatform } from '../../helper/src/os/darwin/index.js';
import { consoleUid } from '../../helper/src/os/darwin/console-user.js';
import { ConsoleFollower } from '../../helper/src/service/console-follower.js';
import type { ControlServer } from '../../helper/src/service/control-server.js';
import { FakeMac } from './support/darwin-fake.js';

test('the console uid: a logged-in user; nobody at the login window, however macOS reports it', () => {
  assert.equal(consoleUid({ name: 'ada', uid: 501 }), 501);
  assert.equal(consoleUid(undefined), undefined);
  assert.equal(consoleUid({ name: 'loginwindow', uid: 0 }), undefined);
  assert.equal(consoleUid({ name: 'loginwindow', uid: 501 }), undefined);
  assert.equal(consoleUid({ name: 'root', uid: 0 }), undefined);
});

test("macOS's platform asks the binding who is at the console", () => {
  const mac = new FakeMac();
  const platform = darwinPlatform(mac);
  assert.equal(platform.consoleUid?.(), undefined);
  mac.console = { name: 'ada', uid: 501 };
  assert.equal(platform.consoleUid?.(), 501);
  mac.console = { name: 'loginwindow', uid: 0 };
  assert.equal(platform.consoleUid?.(), undefined);
});

function follower(initial: number | undefined) {
  const state = { uid: initial, refuse: new Set<number>(), throws: false };
  const events: string[] = [];
  const logs: string[] = [];
  const follow = new ConsoleFollower({
    consoleUid: () => {
      if (state.throws) throw new Error('configd is not answering');
      return state.uid;
    },
    listen: async (uid) => {
      events.push(`listen ${uid}`);
      if (state.refuse.has(uid))
        throw new Error(`another helper is already listening on /var/run/wirefly/${uid}/helper.sock`);
      const server: ControlServer = {
        path: `/var/run/wirefly/${uid}/helper.sock`,
        close: async () => void events.push(`close ${uid}`),
      };
      return server;
    },
    log: (level, message) => logs.push(`${level}: ${message}`),
  });
  return { state, events, logs, follow };
}

test("a login opens that user's socket; the same user again changes nothing", async () => {
  const { state, events, follow } = follower(undefined);
  await follow.check();
  assert.equal(follow.uid, undefined);
  assert.deepEqual(events, []);
  state.uid = 501;
  await follow.check();
  await follow.check();
  assert.equal(follow.uid, 501);
  assert.deepEqual(events, ['listen 501']);
});

test("a switch of user closes the previous user's socket before opening the next one's; the login window closes it", async () => {
  const { state, events, logs, follow } = follower(501);
  await follow.check();
  state.uid = 502;
  await follow.check();
  assert.equal(follow.uid, 502);
  state.uid = undefined;
  await follow.check();
  assert.equal(follow.uid, undefined);
  assert.deepEqual(events, ['listen 501', 'close 501', 'listen 502', 'close 502']);
  assert.ok(logs.includes('info: uid 501 left the console: its socket is closed'));
});

test('a socket held by a helper for this session is tried again at each check, and taken once it is free', async () => {
  const { state, events, logs, follow } = follower(501);
  state.refuse.add(501);
  await follow.check();
  await follow.check();
  assert.equal(follow.uid, undefined);
  // Said once, however many checks it lasts.
  assert.deepEqual(
    logs.filter((line) => line.startsWith('warn')),
    [
      'warn: uid 501 is at the console but cannot be served yet: another helper is already listening on /var/run/wirefly/501/helper.sock',
    ],
  );
  state.refuse.clear();
  await follow.check();
  assert.equal(follow.uid, 501);
  assert.deepEqual(events, ['listen 501', 'listen 501', 'listen 501']);
});

test('a console that cannot be read keeps the socket as it is', async () => {
  const { state, events, logs, follow } = follower(501);
  await follow.check();
  state.throws = true;
  await follow.check();
  assert.equal(follow.uid, 501);
  assert.deepEqual(events, ['listen 501']);
  assert.match(logs.at(-1)!, /^warn: who is at the console cannot be read: configd/);
});

test('checks run one at a time, and none opens a socket after close', async () => {
  const { state, events, follow } = follower(501);
  await Promise.all([follow.check(), follow.check(), follow.check()]);
  assert.deepEqual(events, ['listen 501']);
  const late = follow.check();
  await follow.close();
  await late;
  state.uid = 502;
  await follow.check();
  assert.deepEqual(events, ['listen 501', 'close 501']);
  assert.equal(follow.uid, undefined);
});
