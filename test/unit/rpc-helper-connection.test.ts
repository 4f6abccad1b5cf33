import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HelperConnection } from '../../helper/src/client/helper-connection.js';
import { connectToHelper } from '../../helper/src/cli/helper-client.js';
import { encodeMessage, MessageReader, PROTOCOL_VERSION, RequestError } from '../../helper/src/rpc/index.js';

/** A helper that answers each client's first line with `greet`, and each later line with `answer`. */
async function withFakeHelper(
  greet: (socket: Socket) => void,
  answer: (socket: Socket) => void,
  body: (path: string) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-connection-'));
  const path = join(dir, 'helper.sock');
  const server = createServer((socket) => {
    const reader = new MessageReader();
    let greeted = false;
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      for (let frames = reader.push(chunk).length; frames > 0; frames--) {
        (greeted ? answer : greet)(socket);
        greeted = true;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  try {
    await body(path);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const hello =
  (protocolVersion = PROTOCOL_VERSION) =>
  (socket: Socket) =>
    void socket.write(encodeMessage({ type: 'hello', protocolVersion, helperVersion: '7.0.0' }));
const silent = () => undefined;

test('the hello names the helper version; after close, requests are refused', () =>
  withFakeHelper(hello(), silent, async (path) => {
    const connection = await HelperConnection.connect(path, 'test');
    assert.equal(connection.helperVersion, '7.0.0');
    connection.close();
    await assert.rejects(connection.request('tunnel.list', {}), /connection to the helper is closed/);
  }));

test('a hello of another protocol version is incompatible', () =>
  withFakeHelper(hello(PROTOCOL_VERSION + 1), silent, async (path) => {
    const error = await HelperConnection.connect(path, 'test').catch((e: unknown) => e);
    assert.ok(error instanceof RequestError);
    assert.equal(error.code, 'incompatible-version');
  }));

test('a helper that never says hello is given up after the timeout', () =>
  withFakeHelper(silent, silent, async (path) => {
    await assert.rejects(HelperConnection.connect(path, 'test', 100), /did not answer the hello within 100 ms/);
  }));

test('an error message or an unreadable line fails the open requests instead of leaving them hanging', async () => {
  const refuse = (socket: Socket) =>
    void socket.write(encodeMessage({ type: 'error', error: { code: 'bad-message', message: 'what was that' } }));
  await withFakeHelper(hello(), refuse, async (path) => {
    const connection = await HelperConnection.connect(path, 'test');
    await assert.rejects(connection.request('tunnel.list', {}), (error: RequestError) => error.code === 'bad-message');
  });
  await withFakeHelper(
    hello(),
    (socket) => void socket.write('{"type":"reply","id":1,"ok":"maybe"}\n'),
    async (path) => {
      const connection = await HelperConnection.connect(path, 'test');
      await assert.rejects(connection.request('tunnel.list', {}), /unreadable/);
    },
  );
});

test('a reply whose result does not fit the method is rejected', () =>
  withFakeHelper(
    hello(),
    (socket) => void socket.write(encodeMessage({ type: 'reply', id: 1, ok: true, result: { tunnels: 'none' } })),
    async (path) => {
      const connection = await HelperConnection.connect(path, 'test');
      try {
        await assert.rejects(connection.request('tunnel.list', {}), /answer to tunnel.list does not fit the protocol/);
      } finally {
        connection.close();
      }
    },
  ));

test('the CLI says in words that nothing listens on a missing socket', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-connection-'));
  try {
    await assert.rejects(connectToHelper(join(dir, 'none.sock'), 'test'), /helper is not running \(nothing listens on/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
