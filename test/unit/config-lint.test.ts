import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfig, formatDiagnostic } from '../../helper/src/config/index.js';

const OWN = 'SKop/2PZ6wWCzpZTnragzdDFnmArRRWCjKeC5mtbnG8=';
const A = 'W2tOgLHLc+db3rctSa5d5tQLNwSutJnBLd2t4Z/QaBs=';
const B = '/NeSfR6kVLmmbiOxukcFCvlkVdci5VwqB2HXRxY3T04=';

function warnings(text: string): string[] {
  const checked = checkConfig(text);
  assert.deepEqual(checked.errors.map(formatDiagnostic), []);
  return checked.warnings.map((w) => `${w.line} ${w.code}`);
}

const iface = `[Interface]\nPrivateKey = ${OWN}\nDNS = 10.0.0.1\n`;

test('a plain client config has no warnings', () => {
  assert.deepEqual(
    warnings(`${iface}[Peer]\nPublicKey = ${A}\nAllowedIPs = 0.0.0.0/0, ::/0\nEndpoint = 192.0.2.1:1\n`),
    [],
  );
});

test('overlap: only between different peers, only within a family, nested or equal', () => {
  const peer = (key: string, ips: string) =>
    `[Peer]\nPublicKey = ${key}\nAllowedIPs = ${ips}\nEndpoint = 192.0.2.1:1\n`;
  assert.deepEqual(
    warnings(iface + peer(A, '10.0.0.0/24, 10.0.0.0/24, 10.0.0.0/8') + peer(B, '10.1.0.0/16, fd00::/8, ::/1')),
    ['10 overlapping-allowed-ips'],
  );
  assert.deepEqual(warnings(iface + peer(A, '10.0.0.0/25') + peer(B, '10.0.0.128/25, 0.0.0.0/1')), [
    '10 overlapping-allowed-ips',
  ]);
  const text = iface + peer(A, '192.168.1.0/24') + peer(B, '192.168.1.0/24');
  assert.match(checkConfig(text).warnings[0]!.message, /the later one takes it/);
});

test('host bits: the message gives the network it becomes', () => {
  const checked = checkConfig(`${iface}[Peer]\nPublicKey = ${A}\nAllowedIPs = fd00::1/64\nEndpoint = 192.0.2.1:1\n`);
  assert.equal(
    formatDiagnostic(checked.warnings[0]!),
    'line 6: AllowedIPs: fd00::1/64 has host bits set; it will be used as fd00::/64',
  );
});

test('dns leak: a /0 of either family without DNS; none with DNS', () => {
  const noDns = `[Interface]\nPrivateKey = ${OWN}\n[Peer]\nPublicKey = ${A}\nEndpoint = 192.0.2.1:1\n`;
  assert.deepEqual(warnings(`${noDns}AllowedIPs = 10.0.0.0/8, ::/0\n`), ['6 dns-leak']);
  assert.deepEqual(warnings(`${noDns}AllowedIPs = 0.0.0.0/1, 128.0.0.0/1\n`), []);
});

test('MTU: 1280 and 9000 are fine, just outside them is warned', () => {
  const mtu = (value: number) => warnings(`${iface}MTU = ${value}\n[Peer]\nPublicKey = ${A}\nEndpoint = 192.0.2.1:1\n`);
  assert.deepEqual([mtu(1280), mtu(9000)], [[], []]);
  assert.deepEqual([mtu(1279), mtu(9001)], [['4 mtu-out-of-range'], ['4 mtu-out-of-range']]);
});

test('scripts: one warning per kind of script key, at its first line', () => {
  assert.deepEqual(
    warnings(`${iface}PostUp = a\nPostUp = b\nPreDown = c\n[Peer]\nPublicKey = ${A}\nEndpoint = 192.0.2.1:1\n`),
    ['4 scripts-present', '6 scripts-present'],
  );
});
