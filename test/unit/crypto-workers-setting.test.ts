import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cryptoWorkersFor } from '../../helper/src/runtime/wireguard-interface.js';

test('WIREFLY_CRYPTO_WORKERS: unset is inline, a number is that many threads, up to 16', () => {
  assert.equal(cryptoWorkersFor(undefined, 8), 0);
  assert.equal(cryptoWorkersFor('', 8), 0);
  assert.equal(cryptoWorkersFor('0', 8), 0);
  assert.equal(cryptoWorkersFor('3', 2), 3);
  assert.equal(cryptoWorkersFor('64', 2), 16);
});

test('WIREFLY_CRYPTO_WORKERS=auto: inline on two cores or fewer, a worker for every further core', () => {
  assert.equal(cryptoWorkersFor('auto', 1), 0);
  assert.equal(cryptoWorkersFor('auto', 2), 0);
  assert.equal(cryptoWorkersFor('auto', 3), 2);
  assert.equal(cryptoWorkersFor('auto', 8), 7);
  assert.equal(cryptoWorkersFor('auto', 64), 16);
});

test('WIREFLY_CRYPTO_WORKERS with anything else is refused with the value named', () => {
  assert.throws(() => cryptoWorkersFor('two', 4), /WIREFLY_CRYPTO_WORKERS .*"two"/);
  assert.throws(() => cryptoWorkersFor('-1', 4), /"-1"/);
});
