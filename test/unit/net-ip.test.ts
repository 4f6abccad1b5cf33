// Address texts the config and control-socket parsers read through net/ip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cidrContains,
  cidrContainsAddress,
  formatIpAddress,
  parseCidr,
  parseEndpoint,
  parseIpAddress,
  sameEndpoint,
  sameIpAddress,
} from '../../helper/src/net/ip.js';
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

test('a network contains the addresses under its prefix, whatever its host bits, and only of its family', () => {
  const network = (text: string) => parseCidr(text)!;
  const address = (text: string) => parseIpAddress(text)!;
  assert.ok(cidrContainsAddress(network('10.1.2.3/16'), address('10.1.255.255')));
  assert.ok(!cidrContainsAddress(network('10.1.0.0/16'), address('10.2.0.0')));
  assert.ok(cidrContainsAddress(network('0.0.0.0/0'), address('203.0.113.9')));
  assert.ok(!cidrContainsAddress(network('0.0.0.0/0'), address('::ffff:203.0.113.9')));
  assert.ok(cidrContainsAddress(network('fd00::/8'), address('fdab::1')));
  assert.ok(!cidrContainsAddress(network('fd00::1/128'), address('fd00::2')));
  assert.ok(cidrContains(network('10.0.0.0/8'), network('10.9.0.0/16')));
  assert.ok(cidrContains(network('10.0.0.0/8'), network('10.0.0.0/8')));
  assert.ok(
    !cidrContains(network('10.9.0.0/16'), network('10.0.0.0/8')),
    'a wider network is not inside a narrower one',
  );
  assert.ok(!cidrContains(network('::/0'), network('10.0.0.0/8')));
});

test('addresses and endpoints compare by family and bytes; an endpoint also by port, not by its sticky source', () => {
  const endpoint = (text: string) => parseEndpoint(text)!;
  assert.ok(sameIpAddress(parseIpAddress('2001:db8::1')!, parseIpAddress('2001:db8:0::1')!));
  assert.ok(!sameIpAddress(parseIpAddress('0.0.0.1')!, parseIpAddress('::1')!));
  assert.ok(
    sameEndpoint(endpoint('192.0.2.1:51820'), { ...endpoint('192.0.2.1:51820'), localAddress: new Uint8Array(4) }),
  );
  assert.ok(!sameEndpoint(endpoint('192.0.2.1:51820'), endpoint('192.0.2.1:51821')));
  assert.ok(!sameEndpoint(endpoint('192.0.2.1:51820'), endpoint('192.0.2.2:51820')));
});
