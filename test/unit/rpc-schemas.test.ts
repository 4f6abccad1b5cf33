import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeClientMessage,
  decodeHelperMessage,
  incompatibility,
  METHODS,
  PROTOCOL_VERSION,
} from '../../helper/src/rpc/index.js';

const up = {
  type: 'request',
  id: 7,
  method: 'tunnel.up',
  params: { name: 'wg0', configText: '[Interface]\n', killSwitch: true },
};

test('a well-formed hello and each method decode to typed messages', () => {
  const hello = decodeClientMessage({ type: 'hello', protocolVersion: PROTOCOL_VERSION, client: 'test' });
  assert.deepEqual(hello, { ok: true, message: { type: 'hello', protocolVersion: PROTOCOL_VERSION, client: 'test' } });
  const requests = [
    up,
    { type: 'request', id: 1, method: 'tunnel.down', params: { name: 'wg0' } },
    { type: 'request', id: 2, method: 'tunnel.list', params: {} },
    { type: 'request', id: 3, method: 'status', params: {} },
    { type: 'request', id: 4, method: 'subscribe', params: { topics: ['state', 'stats', 'logs'] } },
    { type: 'request', id: 5, method: 'unsubscribe', params: { topics: ['logs'] } },
  ];
  for (const request of requests) {
    const decoded = decodeClientMessage(request);
    assert.ok(decoded.ok, JSON.stringify(decoded));
    assert.deepEqual(decoded.message, request);
  }
});

test('an unknown method is its own error and keeps the request id', () => {
  const decoded = decodeClientMessage({ type: 'request', id: 9, method: 'tunnel.explode', params: {} });
  assert.equal(decoded.ok, false);
  assert.ok(!decoded.ok);
  assert.equal(decoded.error.code, 'unknown-method');
  assert.equal(decoded.id, 9);
});

test('bad params are refused with the path of the problem and the request id', () => {
  const cases: [unknown, RegExp][] = [
    [{ ...up, params: { ...up.params, name: '../../etc/passwd' } }, /params\.name/],
    [{ ...up, params: { ...up.params, name: 'a-name-longer-than-15' } }, /params\.name/],
    [{ ...up, params: { name: 'wg0' } }, /params\.configText/],
    [{ ...up, params: { ...up.params, killSwitch: 'yes' } }, /params\.killSwitch/],
    [{ type: 'request', id: 3, method: 'subscribe', params: { topics: ['everything'] } }, /params\.topics/],
  ];
  for (const [value, where] of cases) {
    const decoded = decodeClientMessage(value);
    assert.ok(!decoded.ok, JSON.stringify(value));
    assert.equal(decoded.error.code, 'bad-message');
    assert.match(decoded.error.message, where);
    assert.equal(decoded.id, (value as { id: number }).id);
  }
});

test('values that are not messages are bad-message without an id', () => {
  for (const value of [
    null,
    3,
    'hello',
    [],
    {},
    { type: 'reply' },
    { type: 'request', id: -1, method: 'status', params: {} },
  ]) {
    const decoded = decodeClientMessage(value);
    assert.ok(!decoded.ok, JSON.stringify(value));
    assert.equal(decoded.error.code, 'bad-message');
    assert.equal(decoded.id, undefined);
  }
});

test('helper messages decode for the client, and results fit their method schemas', () => {
  const messages = [
    { type: 'hello', protocolVersion: 1, helperVersion: '0.1.0' },
    { type: 'reply', id: 1, ok: true, result: {} },
    {
      type: 'reply',
      id: 1,
      ok: false,
      error: {
        code: 'invalid-config',
        message: 'x',
        configErrors: [{ line: 3, column: 1, code: 'bad-address', message: 'm' }],
      },
    },
    { type: 'error', error: { code: 'message-too-large', message: 'x' } },
    { type: 'event', event: 'tunnel.state', tunnel: { name: 'wg0', state: 'active', killSwitch: false } },
    {
      type: 'event',
      event: 'tunnel.stats',
      stats: {
        tunnel: 'wg0',
        at: 1,
        listenPort: 5,
        peers: [{ publicKey: 'k', rxBytes: 1, txBytes: 2, allowedIps: ['0.0.0.0/0'] }],
      },
    },
    { type: 'event', event: 'log', line: { at: 1, level: 'info', source: 'helper', message: 'hi' } },
  ];
  for (const message of messages) assert.ok(decodeHelperMessage(message).ok, JSON.stringify(message));
  assert.ok(
    !decodeHelperMessage({
      type: 'event',
      event: 'tunnel.state',
      tunnel: { name: 'wg0', state: 'on', killSwitch: false },
    }).ok,
  );
  assert.ok(
    METHODS['tunnel.list'].result.safeParse({
      tunnels: [{ name: 'wg0', state: 'error', error: 'x', killSwitch: true }],
    }).success,
  );
  assert.ok(!METHODS['tunnel.list'].result.safeParse({ tunnels: [{ name: 'wg0' }] }).success);
});

test('only the same protocol version is compatible, and the refusal says which side is older', () => {
  assert.equal(incompatibility(1, 1), undefined);
  assert.match(incompatibility(1, 2) ?? '', /the app is older/);
  assert.match(incompatibility(3, 2) ?? '', /the helper is older/);
});
