// What wg-quick strip prints; the integration tests compare with the real tool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stripConfig } from '../../helper/src/config/index.js';

const PEER = 'W2tOgLHLc+db3rctSa5d5tQLNwSutJnBLd2t4Z/QaBs=';

function stripped(text: string): string {
  const result = stripConfig(text);
  assert.ok(result.ok);
  return result.text;
}

test('drops the keys wg-quick handles, keeps everything else as written plus the newline echo adds', () => {
  const text = `# c\n[Interface]\nAddress = 10.0.0.1/24\n  ListenPort = 1   # port\ndns=1.1.1.1\nPostUp = x\n\n[Peer]\nPublicKey = ${PEER}\n`;
  assert.equal(stripped(text), `# c\n[Interface]\nListenPort = 1   # port\n\n[Peer]\nPublicKey = ${PEER}\n\n`);
});

test('keeps CRs, drops a byte order mark, reads a last line without newline', () => {
  assert.equal(
    stripped(`\uFEFF[Interface]\r\nMTU = 1400\r\nListenPort = 1\r\n`),
    '[Interface]\r\nListenPort = 1\r\n\n',
  );
  assert.equal(stripped('[Interface]\nListenPort = 1'), '[Interface]\nListenPort = 1\n\n');
  assert.equal(stripped('[Interface]\nListenPort = 1\n   '), '[Interface]\nListenPort = 1\n\n');
});

test('refuses a file that does not parse', () => {
  const result = stripConfig('[Interface]\nListenPort = x\n');
  assert.ok(!result.ok);
  assert.equal(result.errors[0]!.code, 'not-a-number');
});
