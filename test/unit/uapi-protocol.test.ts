import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { maskCidr, parseCidr, parseEndpoint, type Cidr, type Endpoint } from '../../helper/src/net/ip.js';
import { EINVAL, EPROTO } from '../../helper/src/uapi/errno.js';
import { UapiError, type UapiDeviceState, type UapiPeerState } from '../../helper/src/uapi/model.js';
import {
  formatErrno,
  formatGetResponse,
  formatKeyHex,
  parseKeyHex,
  parseSetRequest,
} from '../../helper/src/uapi/protocol.js';

const KEY_A = 'a8'.repeat(32);
const KEY_B = 'b0'.repeat(32);
const ZERO_KEY = '00'.repeat(32);

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  assert.ok(parsed, text);
  return parsed;
}

function endpoint(text: string): Endpoint {
  const parsed = parseEndpoint(text);
  assert.ok(parsed, text);
  return parsed;
}

function bytes(hex: string): Uint8Array {
  const key = parseKeyHex(hex);
  assert.ok(key, hex);
  return key;
}

function assertUapiError(run: () => unknown, errno: number, message?: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof UapiError, `expected UapiError, got ${String(error)}`);
    assert.equal(error.errno, errno, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

test('device keys', () => {
  const request = parseSetRequest([
    `private_key=${KEY_A}`,
    'listen_port=51820',
    'fwmark=4294967295',
    'replace_peers=true',
  ]);
  assert.deepEqual(request, {
    privateKey: bytes(KEY_A),
    listenPort: 51820,
    fwmark: 4294967295,
    replacePeers: true,
    peers: [],
  });
});

test('an empty request changes nothing', () => {
  assert.deepEqual(parseSetRequest([]), { replacePeers: false, peers: [] });
});

test('numbers take leading zeros and their whole range, as Go ParseUint does', () => {
  assert.equal(parseSetRequest(['listen_port=0']).listenPort, 0);
  assert.equal(parseSetRequest(['listen_port=65535']).listenPort, 65535);
  assert.equal(parseSetRequest(['listen_port=0000080']).listenPort, 80);
  assert.equal(parseSetRequest(['fwmark=0']).fwmark, 0);
});

test('keys are 64 hex digits of either case; all zeros is a key too', () => {
  assert.deepEqual(parseSetRequest([`private_key=${KEY_A.toUpperCase()}`]).privateKey, bytes(KEY_A));
  assert.deepEqual(parseSetRequest([`private_key=${ZERO_KEY}`]).privateKey, new Uint8Array(32));
});

test('peer keys', () => {
  const request = parseSetRequest([
    `public_key=${KEY_A}`,
    'protocol_version=1',
    `preshared_key=${KEY_B}`,
    'endpoint=192.0.2.1:51820',
    'persistent_keepalive_interval=25',
    'replace_allowed_ips=true',
    'allowed_ip=10.0.0.0/8',
    'allowed_ip=-10.1.0.0/16',
    'allowed_ip=2001:db8::/32',
    `public_key=${KEY_B}`,
    'update_only=true',
    'endpoint=[2001:db8::1]:443',
    `public_key=${KEY_A}`,
    'remove=true',
  ]);
  assert.equal(request.replacePeers, false);
  assert.deepEqual(request.peers, [
    {
      publicKey: bytes(KEY_A),
      remove: false,
      updateOnly: false,
      presharedKey: bytes(KEY_B),
      endpoint: endpoint('192.0.2.1:51820'),
      persistentKeepaliveInterval: 25,
      replaceAllowedIps: true,
      allowedIps: [
        { cidr: cidr('10.0.0.0/8'), remove: false },
        { cidr: cidr('10.1.0.0/16'), remove: true },
        { cidr: cidr('2001:db8::/32'), remove: false },
      ],
    },
    {
      publicKey: bytes(KEY_B),
      remove: false,
      updateOnly: true,
      endpoint: endpoint('[2001:db8::1]:443'),
      replaceAllowedIps: false,
      allowedIps: [],
    },
    { publicKey: bytes(KEY_A), remove: true, updateOnly: false, replaceAllowedIps: false, allowedIps: [] },
  ]);
});

test('allowed IPs lose their host bits', () => {
  const [peer] = parseSetRequest([`public_key=${KEY_A}`, 'allowed_ip=10.1.2.3/8', 'allowed_ip=-fd00::1/64']).peers;
  assert.deepEqual(peer?.allowedIps, [
    { cidr: cidr('10.0.0.0/8'), remove: false },
    { cidr: cidr('fd00::/64'), remove: true },
  ]);
});

test('replace_allowed_ips wipes the allowed IPs its block listed before it', () => {
  const [peer] = parseSetRequest([
    `public_key=${KEY_A}`,
    'allowed_ip=10.0.0.0/8',
    'replace_allowed_ips=true',
    'allowed_ip=10.2.0.0/16',
  ]).peers;
  assert.equal(peer?.replaceAllowedIps, true);
  assert.deepEqual(peer?.allowedIps, [{ cidr: cidr('10.2.0.0/16'), remove: false }]);
});

test('the last value of a repeated key wins', () => {
  const request = parseSetRequest([
    'listen_port=1',
    'listen_port=2',
    `public_key=${KEY_A}`,
    'endpoint=1.2.3.4:5',
    'endpoint=5.6.7.8:9',
  ]);
  assert.equal(request.listenPort, 2);
  assert.deepEqual(request.peers[0]?.endpoint, endpoint('5.6.7.8:9'));
});

const refusals: [string, readonly string[], number, RegExp][] = [
  ['a line without "="', ['listen_port'], EPROTO, /KEY=VALUE/],
  ['an empty line inside the request', [''], EPROTO, /KEY=VALUE/],
  ['an unknown device key', ['listen-port=1'], EINVAL, /device key/],
  ['a peer key before any public_key', ['endpoint=1.2.3.4:5'], EINVAL, /device key/],
  ['a get-only key', [`public_key=${KEY_A}`, 'rx_bytes=0'], EINVAL, /peer key/],
  ['a device key inside a peer block', [`public_key=${KEY_A}`, 'listen_port=1'], EINVAL, /peer key/],
  ['replace_peers inside a peer block', [`public_key=${KEY_A}`, 'replace_peers=true'], EINVAL, /peer key/],
  ['a key with spaces around "="', ['listen_port = 1'], EINVAL, /device key/],
  ['a short key', [`private_key=${KEY_A.slice(2)}`], EINVAL, /hex key/],
  ['a long key', [`public_key=${KEY_A}00`], EINVAL, /hex key/],
  ['a key with a non-hex digit', [`private_key=${KEY_A.slice(1)}g`], EINVAL, /hex key/],
  ['a base64 key', ['public_key=qKioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKg='], EINVAL, /hex key/],
  ['a bad preshared key', [`public_key=${KEY_A}`, 'preshared_key=zz'], EINVAL, /hex key/],
  ['a port above 65535', ['listen_port=65536'], EINVAL, /above 65535/],
  ['a negative port', ['listen_port=-1'], EINVAL, /unsigned/],
  ['a signed port', ['listen_port=+1'], EINVAL, /unsigned/],
  ['an empty port', ['listen_port='], EINVAL, /unsigned/],
  ['a hex port', ['listen_port=0x10'], EINVAL, /unsigned/],
  ['a port with a space', ['listen_port= 1'], EINVAL, /unsigned/],
  ['a huge number', [`fwmark=${'9'.repeat(400)}`], EINVAL, /above 4294967295/],
  ['an fwmark above 32 bits', ['fwmark=4294967296'], EINVAL, /above/],
  ['a keepalive above 65535', [`public_key=${KEY_A}`, 'persistent_keepalive_interval=65536'], EINVAL, /above/],
  ['replace_peers=false', ['replace_peers=false'], EINVAL, /only value is "true"/],
  ['replace_peers=1', ['replace_peers=1'], EINVAL, /"true"/],
  ['remove=TRUE', [`public_key=${KEY_A}`, 'remove=TRUE'], EINVAL, /"true"/],
  ['update_only=', [`public_key=${KEY_A}`, 'update_only='], EINVAL, /"true"/],
  ['replace_allowed_ips=yes', [`public_key=${KEY_A}`, 'replace_allowed_ips=yes'], EINVAL, /"true"/],
  ['protocol_version=2', [`public_key=${KEY_A}`, 'protocol_version=2'], EINVAL, /protocol_version/],
  ['protocol_version=01', [`public_key=${KEY_A}`, 'protocol_version=01'], EINVAL, /protocol_version/],
  ['an endpoint without a port', [`public_key=${KEY_A}`, 'endpoint=1.2.3.4'], EINVAL, /endpoint/],
  ['an endpoint port above 65535', [`public_key=${KEY_A}`, 'endpoint=1.2.3.4:65536'], EINVAL, /endpoint/],
  ['an IPv6 endpoint without brackets', [`public_key=${KEY_A}`, 'endpoint=::1:5'], EINVAL, /endpoint/],
  ['a host name endpoint', [`public_key=${KEY_A}`, 'endpoint=example.com:5'], EINVAL, /endpoint/],
  ['an allowed IP without a prefix', [`public_key=${KEY_A}`, 'allowed_ip=10.0.0.1'], EINVAL, /allowed_ip/],
  ['an IPv4 prefix above 32', [`public_key=${KEY_A}`, 'allowed_ip=10.0.0.0/33'], EINVAL, /allowed_ip/],
  ['an IPv6 prefix above 128', [`public_key=${KEY_A}`, 'allowed_ip=::/129'], EINVAL, /allowed_ip/],
  ['a prefix with a leading zero', [`public_key=${KEY_A}`, 'allowed_ip=10.0.0.0/08'], EINVAL, /allowed_ip/],
  ['"+" before an allowed IP', [`public_key=${KEY_A}`, 'allowed_ip=+10.0.0.0/8'], EINVAL, /allowed_ip/],
  ['two "-" before an allowed IP', [`public_key=${KEY_A}`, 'allowed_ip=--10.0.0.0/8'], EINVAL, /allowed_ip/],
  ['an allowed IP with a zone', [`public_key=${KEY_A}`, 'allowed_ip=fe80::%eth0/64'], EINVAL, /allowed_ip/],
  ['an allowed IP list', [`public_key=${KEY_A}`, 'allowed_ip=10.0.0.0/8,10.1.0.0/16'], EINVAL, /allowed_ip/],
];

for (const [what, lines, errno, message] of refusals) {
  test(`refuses ${what} with errno ${errno}`, () => {
    assertUapiError(() => parseSetRequest(lines), errno, message);
  });
}

test('error messages quote only the start of long client text', () => {
  assertUapiError(() => parseSetRequest([`x${'y'.repeat(5000)}`]), EPROTO, /^not KEY=VALUE: "xy{79}\.\.\."$/);
});

test('the wire carries errno negated, as wireguard-go writes it and wg(8) reads it', () => {
  assert.equal(formatErrno(0), 'errno=0\n\n');
  assert.equal(formatErrno(EINVAL), 'errno=-22\n\n');
});

function peerState(overrides: Partial<UapiPeerState> = {}): UapiPeerState {
  return {
    publicKey: bytes(KEY_B),
    presharedKey: undefined,
    endpoint: undefined,
    persistentKeepaliveInterval: 0,
    lastHandshake: undefined,
    rxBytes: 0n,
    txBytes: 0n,
    allowedIps: [],
    ...overrides,
  };
}

test('get answer: every field in wireguard-go order', () => {
  const text = formatGetResponse({
    privateKey: bytes(KEY_A),
    listenPort: 51820,
    fwmark: 51,
    peers: [
      peerState({
        presharedKey: bytes(KEY_A),
        endpoint: endpoint('[2001:db8::1]:443'),
        persistentKeepaliveInterval: 25,
        lastHandshake: { sec: 1700000000, nsec: 123456789 },
        rxBytes: 18446744073709551615n,
        txBytes: 1234n,
        allowedIps: [cidr('10.0.0.0/8'), cidr('2001:db8::/32')],
      }),
      peerState({ publicKey: bytes(KEY_A) }),
    ],
  });
  assert.equal(
    text,
    [
      `private_key=${KEY_A}`,
      'listen_port=51820',
      'fwmark=51',
      `public_key=${KEY_B}`,
      `preshared_key=${KEY_A}`,
      'protocol_version=1',
      'endpoint=[2001:db8::1]:443',
      'last_handshake_time_sec=1700000000',
      'last_handshake_time_nsec=123456789',
      'tx_bytes=1234',
      'rx_bytes=18446744073709551615',
      'persistent_keepalive_interval=25',
      'allowed_ip=10.0.0.0/8',
      'allowed_ip=2001:db8::/32',
      `public_key=${KEY_A}`,
      `preshared_key=${ZERO_KEY}`,
      'protocol_version=1',
      'last_handshake_time_sec=0',
      'last_handshake_time_nsec=0',
      'tx_bytes=0',
      'rx_bytes=0',
      'persistent_keepalive_interval=0',
      'errno=0',
      '',
      '',
    ].join('\n'),
  );
});

test('get answer for a peer with 255 × 256 × 2 allowed IPs (netns.sh): one line each', () => {
  const allowedIps: Cidr[] = [];
  for (let a = 1; a <= 255; a++) {
    for (let b = 0; b <= 255; b++) allowedIps.push(cidr(`${a}.${b}.0.0/16`), cidr(`${a}::${b}/128`));
  }
  const text = formatGetResponse({
    privateKey: undefined,
    listenPort: 0,
    fwmark: 0,
    peers: [peerState({ allowedIps })],
  });
  assert.equal(text.match(/^allowed_ip=/gm)?.length, allowedIps.length);
});

test('get answer leaves out an unset private key, port and mark', () => {
  const empty: UapiDeviceState = { privateKey: undefined, listenPort: 0, fwmark: 0, peers: [] };
  assert.equal(formatGetResponse(empty), 'errno=0\n\n');
  assert.equal(formatGetResponse({ ...empty, privateKey: new Uint8Array(32) }), 'errno=0\n\n');
});

test('hex keys round-trip', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
      assert.deepEqual(parseKeyHex(formatKeyHex(key)), key);
    }),
  );
});

function throwsOnlyUapiError(lines: string[]): void {
  try {
    parseSetRequest(lines);
  } catch (error) {
    assert.ok(error instanceof UapiError, `not a UapiError: ${String(error)}`);
    assert.ok(error.errno === EINVAL || error.errno === EPROTO, `errno ${error.errno}`);
  }
}

test('arbitrary text never fails but with UapiError', () => {
  fc.assert(fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 8 }), throwsOnlyUapiError), {
    numRuns: 2000,
  });
});

const KEYS = [
  'private_key',
  'listen_port',
  'fwmark',
  'replace_peers',
  'public_key',
  'remove',
  'update_only',
  'preshared_key',
  'endpoint',
  'persistent_keepalive_interval',
  'replace_allowed_ips',
  'allowed_ip',
  'protocol_version',
  'rx_bytes',
  'errno',
  '',
];
const VALUES = [
  KEY_A,
  ZERO_KEY,
  KEY_A.slice(1),
  'true',
  'false',
  '0',
  '1',
  '65535',
  '65536',
  '4294967296',
  '-1',
  '1.2.3.4:5',
  '[::1]:5',
  '[::1]',
  '10.0.0.0/8',
  '-10.0.0.0/8',
  '::/0',
  '10.0.0.1',
  '',
  '=',
  'é',
];

test('arbitrary mixes of real keys and values never fail but with UapiError', () => {
  const line = fc.oneof(
    fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES)).map(([key, value]) => `${key}=${value}`),
    fc.tuple(fc.constantFrom(...KEYS), fc.string()).map(([key, value]) => `${key}=${value}`),
    fc.string(),
  );
  fc.assert(fc.property(fc.array(line, { maxLength: 20 }), throwsOnlyUapiError), { numRuns: 3000 });
});

const keyArbitrary = fc.uint8Array({ minLength: 32, maxLength: 32 });
const cidrArbitrary: fc.Arbitrary<Cidr> = fc.oneof(
  fc
    .tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 }))
    .map(([address, prefix]) => ({ family: 4 as const, bytes: address, prefix })),
  fc
    .tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }))
    .map(([address, prefix]) => ({ family: 6 as const, bytes: address, prefix })),
);
const endpointArbitrary: fc.Arbitrary<Endpoint> = fc.oneof(
  fc
    .tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 65535 }))
    .map(([address, port]) => ({ family: 4 as const, bytes: address, port })),
  fc
    .tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 65535 }))
    .map(([address, port]) => ({ family: 6 as const, bytes: address, port })),
);
const peerArbitrary = fc.record({
  publicKey: keyArbitrary,
  presharedKey: fc.option(keyArbitrary, { nil: undefined }),
  endpoint: fc.option(endpointArbitrary, { nil: undefined }),
  persistentKeepaliveInterval: fc.integer({ min: 0, max: 65535 }),
  lastHandshake: fc.option(fc.record({ sec: fc.nat(), nsec: fc.integer({ min: 0, max: 999_999_999 }) }), {
    nil: undefined,
  }),
  rxBytes: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  txBytes: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  allowedIps: fc.array(cidrArbitrary, { maxLength: 4 }),
});
const stateArbitrary: fc.Arbitrary<UapiDeviceState> = fc.record({
  privateKey: fc.option(keyArbitrary, { nil: undefined }),
  listenPort: fc.integer({ min: 0, max: 65535 }),
  fwmark: fc.nat({ max: 0xffffffff }),
  peers: fc.array(peerArbitrary, { maxLength: 4 }),
});

const GET_ONLY = /^(?:last_handshake_time_sec|last_handshake_time_nsec|tx_bytes|rx_bytes|errno)=/;

test('a get answer, less its statistics, is a set request for the same configuration', () => {
  fc.assert(
    fc.property(stateArbitrary, (state) => {
      const lines = formatGetResponse(state)
        .split('\n')
        .filter((line) => line !== '' && !GET_ONLY.test(line));
      const request = parseSetRequest(lines);
      const privateKey = state.privateKey && !state.privateKey.every((b) => b === 0) ? state.privateKey : undefined;
      assert.deepEqual(request.privateKey, privateKey);
      assert.equal(request.listenPort, state.listenPort === 0 ? undefined : state.listenPort);
      assert.equal(request.fwmark, state.fwmark === 0 ? undefined : state.fwmark);
      const peers = [...state.peers];
      assert.equal(request.peers.length, peers.length);
      peers.forEach((peer, i) => {
        const change = request.peers[i];
        assert.ok(change);
        assert.deepEqual(change.publicKey, peer.publicKey);
        assert.deepEqual(change.presharedKey, peer.presharedKey ?? new Uint8Array(32));
        assert.deepEqual(change.endpoint, peer.endpoint);
        assert.equal(change.persistentKeepaliveInterval, peer.persistentKeepaliveInterval);
        assert.deepEqual(
          change.allowedIps.map((ip) => ip.cidr),
          peer.allowedIps.map(maskCidr),
        );
      });
    }),
    { numRuns: 500 },
  );
});
