import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import ts from 'typescript';
import { API_CALLS, API_SUBSCRIPTIONS } from '../../app/src/api/api-protocol.js';
import { packageRoot } from '../../app/src/app-paths.js';
import { ipcCallChannel, ipcEventChannel } from '../../app/src/electron/shell-policy.js';

interface FakeIpc {
  readonly invoked: unknown[][];
  readonly listeners: Map<string, ((...args: unknown[]) => void)[]>;
  reply: unknown;
}

/** Runs the preload as Electron's sandbox would, with `require('electron')` answered by fakes; returns what it exposed. */
function loadPreload(): { exposed: [string, Record<string, (...args: unknown[]) => unknown>][]; ipc: FakeIpc } {
  const source = readFileSync(join(packageRoot(), 'app', 'src', 'electron', 'preload.cts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  const exposed: [string, Record<string, (...args: unknown[]) => unknown>][] = [];
  const ipc: FakeIpc = { invoked: [], listeners: new Map(), reply: { ok: true, value: 'answer' } };
  const electron = {
    contextBridge: {
      exposeInMainWorld: (key: string, value: Record<string, (...args: unknown[]) => unknown>) =>
        exposed.push([key, value]),
    },
    ipcRenderer: {
      invoke: async (...args: unknown[]) => {
        ipc.invoked.push(args);
        return ipc.reply;
      },
      on: (channel: string, listener: (...args: unknown[]) => void) =>
        ipc.listeners.set(channel, [...(ipc.listeners.get(channel) ?? []), listener]),
      removeListener: (channel: string, listener: (...args: unknown[]) => void) =>
        ipc.listeners.set(
          channel,
          (ipc.listeners.get(channel) ?? []).filter((candidate) => candidate !== listener),
        ),
    },
  };
  const require = (name: string): unknown => {
    if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
    return electron;
  };
  const module = { exports: {} };
  runInNewContext(outputText, { require, module, exports: module.exports, Object, Error, Promise });
  return { exposed, ipc };
}

test('exposes exactly WireflyApi, once, as window.wirefly', () => {
  const { exposed } = loadPreload();
  assert.equal(exposed.length, 1);
  const [key, api] = exposed[0]!;
  assert.equal(key, 'wirefly');
  assert.deepEqual(Object.keys(api).sort(), [...API_CALLS, ...API_SUBSCRIPTIONS].sort());
  for (const member of Object.values(api)) assert.equal(typeof member, 'function');
});

test('each call invokes its channel with its arguments and unwraps the answer', async () => {
  const { exposed, ipc } = loadPreload();
  const api = exposed[0]![1];
  for (const method of API_CALLS) {
    assert.equal(await api[method]!('a', 2), 'answer', method);
    assert.deepEqual(ipc.invoked.at(-1), [ipcCallChannel(method), 'a', 2]);
  }
  ipc.reply = { ok: false, error: { message: "a tunnel named 'wg0' already exists" } };
  await assert.rejects(api['createTunnel']!('wg0', '') as Promise<unknown>, {
    message: "a tunnel named 'wg0' already exists",
  });
});

test('subscriptions hand the listener the payload only, on the event channel, until unsubscribed', () => {
  const { exposed, ipc } = loadPreload();
  const api = exposed[0]![1];
  for (const name of API_SUBSCRIPTIONS) {
    const heard: unknown[][] = [];
    const unsubscribe = api[name]!((...args: unknown[]) => heard.push(args)) as () => void;
    const channel = ipcEventChannel(name);
    const [listener] = ipc.listeners.get(channel) ?? [];
    assert.ok(listener, `${name} listens on ${channel}`);
    listener({ sender: 'the ipcRenderer itself' }, { some: 'payload' });
    assert.deepEqual(heard, [[{ some: 'payload' }]]);
    unsubscribe();
    assert.deepEqual(ipc.listeners.get(channel), []);
  }
});
