import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCidr, formatIpAddress } from '../../helper/src/net/ip.js';
import { formatDiagnostic, keyToBase64, parseConfig } from '../../helper/src/config/index.js';
import type { ConfigError, WgQuickConfig } from '../../helper/src/config/index.js';

const PRIVATE = 'SKop/2PZ6wWCzpZTnragzdDFnmArRRWCjKeC5mtbnG8=';
const PEER = 'W2tOgLHLc+db3rctSa5d5tQLNwSutJnBLd2t4Z/QaBs=';

function parsed(text: string): WgQuickConfig {
  const result = parseConfig(text);
  assert.ok(result.ok, result.ok ? '' : result.errors.map(formatDiagnostic).join('\n'));
  return result.config;
}

function errors(text: string): ConfigError[] {
  const result = parseConfig(text);
  assert.ok(!result.ok, 'expected the text to be refused');
  return [...result.errors];
}

test('the issue example: line, column, key, code and sentence of a bad AllowedIPs entry', () => {
  const text = `[Interface]\nPrivateKey = ${PRIVATE}\n\n[Peer]\nPublicKey = ${PEER}\n\nAllowedIPs = 10.0.0.1/32, 10.0.0.300/32\n`;
  const [error, ...rest] = errors(text);
  assert.deepEqual(rest, []);
  assert.equal(formatDiagnostic(error!), "line 7: AllowedIPs: '10.0.0.300/32' is not an IPv4 or IPv6 network");
  assert.deepEqual([error!.line, error!.column, error!.key, error!.code], [7, 27, 'AllowedIPs', 'bad-network']);
});

test('every field of the model', () => {
  const config = parsed(`[Interface]
PrivateKey = ${PRIVATE}
ListenPort = 51820
FwMark = 0xca6c
Address = 10.0.0.2/24, fd00::2/64
Address = 10.1.0.2
DNS = 10.0.0.1, fd00::1, example.com
MTU = 1420
Table = 1234
PreUp = echo pre-up
PostUp = echo one
PostUp = echo two
PreDown = echo pre-down
PostDown = echo post-down
SaveConfig = true

[Peer]
PublicKey = ${PEER}
PresharedKey = ${PRIVATE}
AllowedIPs = 10.0.0.0/24
AllowedIPs = ::/0
Endpoint = vpn.example.com:51820
PersistentKeepalive = 25
`);
  const i = config.interface;
  assert.equal(keyToBase64(i.privateKey!), PRIVATE);
  assert.equal(i.listenPort, 51820);
  assert.equal(i.fwMark, 0xca6c);
  assert.deepEqual(i.addresses.map(formatCidr), ['10.0.0.2/24', 'fd00::2/64', '10.1.0.2/32']);
  assert.deepEqual(i.dns.map(formatIpAddress), ['10.0.0.1', 'fd00::1']);
  assert.deepEqual(i.dnsSearch, ['example.com']);
  assert.equal(i.mtu, 1420);
  assert.equal(i.table, 1234);
  assert.deepEqual(
    [i.preUp, i.postUp, i.preDown, i.postDown],
    [['echo pre-up'], ['echo one', 'echo two'], ['echo pre-down'], ['echo post-down']],
  );
  assert.equal(i.saveConfig, true);
  const [peer] = config.peers;
  assert.equal(keyToBase64(peer!.publicKey), PEER);
  assert.equal(keyToBase64(peer!.presharedKey!), PRIVATE);
  assert.deepEqual(peer!.allowedIps.map(formatCidr), ['10.0.0.0/24', '::/0']);
  assert.deepEqual(peer!.endpoint, { kind: 'hostname', host: 'vpn.example.com', port: 51820 });
  assert.equal(peer!.persistentKeepalive, 25);
});

test('case-insensitive keys and headers, comments, CRLF, a byte order mark, no final newline', () => {
  const text = `\uFEFF# top\r\n[INTERFACE] # me\r\n\tprivatekey=${PRIVATE}#c\r\n  LISTENPORT =  1  \r\n[peer]\r\npublickey = ${PEER}`;
  const config = parsed(text);
  assert.equal(config.interface.listenPort, 1);
  assert.equal(config.peers.length, 1);
});

test("'#' starts a comment even in a script, as wg-quick reads it", () => {
  const config = parsed(`[Interface]\nPostUp = echo a # b\n`);
  assert.deepEqual(config.interface.postUp, ['echo a']);
});

test('wg-quick value forms: off, hex fwmark, boolean case, space-separated addresses, the table words', () => {
  const config = parsed(
    `[Interface]\nFwMark = off\nSaveConfig = FALSE\nAddress = 10.0.0.1/24 10.0.1.1/24,,fd00::1\nTable = off\n[Peer]\nPublicKey = ${PEER}\nPersistentKeepalive = Off\n`,
  );
  assert.equal(config.interface.fwMark, 0);
  assert.equal(config.interface.saveConfig, false);
  assert.equal(config.interface.addresses.length, 3);
  assert.equal(config.interface.table, 'off');
  assert.equal(config.peers[0]!.persistentKeepalive, 0);
  for (const table of ['auto', 'main', '4294967295'])
    assert.ok(parseConfig(`[Interface]\nTable = ${table}\n`).ok, table);
  for (const table of ['Auto', '0', '4294967296', 'local']) {
    assert.equal(errors(`[Interface]\nTable = ${table}\n`)[0]!.code, 'bad-table', table);
  }
});

test('endpoints: IPv4, bracketed IPv6, host names; refusals name what is wrong', () => {
  const endpoint = (value: string) =>
    parsed(`[Interface]\n[Peer]\nPublicKey = ${PEER}\nEndpoint = ${value}\n`).peers[0]!.endpoint;
  assert.equal(endpoint('192.0.2.1:51820')?.kind, 'address');
  assert.equal(endpoint('[2001:db8::1]:443')?.kind, 'address');
  assert.deepEqual(endpoint('a-b.example:1'), { kind: 'hostname', host: 'a-b.example', port: 1 });
  const problem = (value: string) => {
    const [error] = errors(`[Interface]\n[Peer]\nPublicKey = ${PEER}\nEndpoint = ${value}\n`);
    assert.equal(error!.code, 'bad-endpoint', value);
    return error!.message;
  };
  assert.match(problem('192.0.2.1'), /port is missing/);
  assert.match(problem('2001:db8::1:51820'), /brackets/);
  assert.match(problem('1.2.3:51820'), /not an IPv4 address/);
  assert.match(problem('host:65536'), /1 to 65535/);
  assert.match(problem('bad_host!:1'), /not a host name/);
  assert.match(problem('[2001:db8::zz]:1'), /not an IPv6 address/);
});

test('DNS: digits-and-dots or anything with a colon is a resolver, the rest search domains', () => {
  const [a, b] = errors(`[Interface]\nDNS = 1.2.3, 1::2::3, ok.example\n`);
  assert.equal(a!.code, 'bad-dns');
  assert.equal(b!.code, 'bad-dns');
  assert.equal(errors(`[Interface]\nDNS = -bad.example\n`)[0]!.code, 'bad-dns');
});

test('structure errors: before a section, unknown section (its keys not reported again), wrong section, duplicates', () => {
  const codes = errors(
    `ListenPort = 1\n[Interface]\nListenPort = 1\nListenPort = 2\nPublicKey = ${PEER}\n[Bogus]\nFoo = 1\n[Peer]\nMTU = 1\n[Interface]\n`,
  ).map((e) => `${e.line} ${e.code}`);
  assert.deepEqual(codes, [
    '1 key-outside-section',
    '4 duplicate-key',
    '5 wrong-section',
    '6 unknown-section',
    '9 wrong-section',
    '10 duplicate-interface',
    '8 missing-public-key',
  ]);
});

test('a file without [Interface] is refused, and so is an empty one', () => {
  assert.equal(errors('')[0]!.code, 'missing-interface');
  assert.equal(errors('# nothing\n\n')[0]!.code, 'missing-interface');
});

test('keys with wrong lengths, hex keys and missing values', () => {
  const [length, hexKey, missing] = errors(
    `[Interface]\nPrivateKey = AAAA\n[Peer]\nPublicKey = ${'ab'.repeat(32)}\nPresharedKey =   \n`,
  );
  assert.equal(length!.code, 'bad-key-length');
  assert.match(length!.message, /3 bytes long/);
  assert.equal(hexKey!.code, 'bad-key-format');
  assert.match(hexKey!.message, /hexadecimal/);
  assert.equal(missing!.code, 'missing-value');
});

test('locations point at headers, keys and each AllowedIPs entry', () => {
  const result = parseConfig(`[Interface]\n\n[Peer]\n  PublicKey = ${PEER}\nAllowedIPs = 10.0.0.0/8,  10.1.0.0/16\n`);
  assert.ok(result.ok);
  const peer = result.locations.peers[0]!;
  assert.deepEqual(peer.header, { line: 3, column: 1 });
  assert.deepEqual(peer.keys['PublicKey'], { line: 4, column: 3 });
  assert.deepEqual(peer.allowedIps, [
    { line: 5, column: 14 },
    { line: 5, column: 27 },
  ]);
});

test('fuzz finding: a number with many leading zeros is read as wg(8) reads it, not refused as out of range', () => {
  const config = parsed(
    `[Interface]\nListenPort = 00000000000000000000009808\nFwMark = 0x000000000000000000ca6c\nMTU = 000000000000000001420\n[Peer]\nPublicKey = ${PEER}\nPersistentKeepalive = 0000000000000000025\n`,
  );
  assert.deepEqual(
    [config.interface.listenPort, config.interface.fwMark, config.interface.mtu, config.peers[0]!.persistentKeepalive],
    [9808, 0xca6c, 1420, 25],
  );
  const [port, mark] = errors(
    `[Interface]\nListenPort = 00000000000000000065536\nFwMark = 0x0000000000000000100000000\n`,
  );
  assert.deepEqual([port!.code, mark!.code], ['out-of-range', 'out-of-range']);
});

test('fuzz finding: a key before any section is quoted in its message, which stays short however long the key is written', () => {
  const [error] = errors(`${'\u{1f600}'.padEnd(9000)}MTU = 1\n[Interface]\n`);
  assert.equal(error!.code, 'key-outside-section');
  assert.match(error!.message, /^'\u{1f600} {10,}\.\.\.': keys go under an \[Interface\] or \[Peer\] header/u);
  assert.ok(formatDiagnostic(error!).length < 200, formatDiagnostic(error!).slice(0, 300));
  assert.equal(
    errors('ListenPort = 1\n[Interface]\n')[0]!.message,
    "'ListenPort': keys go under an [Interface] or [Peer] header, and this one comes before any",
  );
});
