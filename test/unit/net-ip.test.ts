// Address texts the config and control-socket parsers read through net/ip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIpAddress, parseEndpoint, parseIpAddress } from '../../helper/src/net/ip.js';
import { parseConfig } from '../../helper/src/config/index.js';

test('fuzz finding: a dotted IPv4 part is only the last 32 bits of an IPv6 address, never before "::"', () => {
  for (const text of ['1.2.3.4::', '1.2.3.4::5', '1:1.2.3.4::', '180.100.80.66::ffff']) {
    assert.equal(parseIpAddress(text), undefined, text);
  }
  assert.equal(parseEndpoint('[1.2.3.4::]:51820'), undefined);
  const config = parseConfig(
    '[Interface]\n[Peer]\nPublicKey = W2tOgLHLc+db3rctSa5d5tQLNwSutJnBLd2t4Z/QaBs=\nAllowedIPs = 1.2.3.4::/128\n',
  );
  assert.ok(!config.ok);
  assert.equal(config.errors[0]!.code, 'bad-network');
  const read = (text: string) => formatIpAddress(parseIpAddress(text)!);
  assert.deepEqual(['::1.2.3.4', '::ffff:1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1::1.2.3.4'].map(read), [
    '::102:304',
    '::ffff:102:304',
    '1:2:3:4:5:6:102:304',
    '1::102:304',
  ]);
});
