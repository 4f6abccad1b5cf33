// parse(serialize(x)) equals x for every valid model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Cidr, IpAddress } from '../../helper/src/net/ip.js';
import { formatDiagnostic, parseConfig, serializeConfig } from '../../helper/src/config/index.js';
import type { InterfaceConfig, PeerConfig, PeerEndpoint, WgQuickConfig } from '../../helper/src/config/index.js';

/** fast-check records have a null prototype; the parser builds ordinary objects. */
const plain = <T extends object>(record: T): T => ({ ...record });

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });

const address: fc.Arbitrary<IpAddress> = fc.oneof(
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map((bytes) => ({ family: 4 as const, bytes })),
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => ({ family: 6 as const, bytes })),
);

const cidr: fc.Arbitrary<Cidr> = address.chain((a) => fc.integer({ min: 0, max: a.family === 4 ? 32 : 128 }).map((prefix) => ({ ...a, prefix })));

const domain = fc
  .array(fc.stringMatching(/^[a-z]([a-z0-9_-]{0,8}[a-z0-9])?$/), { minLength: 1, maxLength: 4 })
  .map((labels) => labels.join('.'));

const command = fc.stringMatching(/^[a-zA-Z0-9%$!=/.-]([a-zA-Z0-9 %$!=/.'"-]{0,30}[a-zA-Z0-9%$!=/.-])?$/);

const endpoint: fc.Arbitrary<PeerEndpoint> = fc.oneof(
  fc.tuple(address, fc.integer({ min: 1, max: 65535 })).map(([a, port]) => ({ kind: 'address' as const, address: { ...a, port } })),
  fc.tuple(domain, fc.integer({ min: 1, max: 65535 })).map(([host, port]) => ({ kind: 'hostname' as const, host, port })),
);

const interfaceConfig: fc.Arbitrary<InterfaceConfig> = fc.record(
  {
    privateKey: key,
    listenPort: fc.integer({ min: 0, max: 65535 }),
    fwMark: fc.integer({ min: 0, max: 0xffffffff }),
    addresses: fc.array(cidr, { maxLength: 4 }),
    dns: fc.array(address, { maxLength: 3 }),
    dnsSearch: fc.array(domain, { maxLength: 3 }),
    mtu: fc.integer({ min: 68, max: 65535 }),
    table: fc.oneof(fc.constantFrom('off' as const, 'auto' as const, 'main' as const), fc.integer({ min: 1, max: 0xffffffff })),
    preUp: fc.array(command, { maxLength: 2 }),
    postUp: fc.array(command, { maxLength: 2 }),
    preDown: fc.array(command, { maxLength: 2 }),
    postDown: fc.array(command, { maxLength: 2 }),
    saveConfig: fc.boolean(),
  },
  { requiredKeys: ['addresses', 'dns', 'dnsSearch', 'preUp', 'postUp', 'preDown', 'postDown', 'saveConfig'] },
).map(plain);

const peerConfig: fc.Arbitrary<PeerConfig> = fc.record(
  {
    publicKey: key,
    presharedKey: key,
    allowedIps: fc.array(cidr, { maxLength: 5 }),
    endpoint,
    persistentKeepalive: fc.integer({ min: 0, max: 65535 }),
  },
  { requiredKeys: ['publicKey', 'allowedIps'] },
).map(plain);

const config: fc.Arbitrary<WgQuickConfig> = fc.record({ interface: interfaceConfig, peers: fc.array(peerConfig, { maxLength: 4 }) }).map(plain);

test('parse(serialize(config)) equals config for every valid model', () => {
  fc.assert(
    fc.property(config, (original) => {
      const text = serializeConfig(original);
      const result = parseConfig(text);
      assert.ok(result.ok, result.ok ? '' : `${text}\n${result.errors.map(formatDiagnostic).join('\n')}`);
      assert.deepEqual(result.config, original);
    }),
    { numRuns: 500 },
  );
});

test('serializing is canonical: serialize(parse(serialize(x))) is the same text', () => {
  fc.assert(
    fc.property(config, (original) => {
      const text = serializeConfig(original);
      const result = parseConfig(text);
      assert.ok(result.ok);
      assert.equal(serializeConfig(result.config), text);
    }),
    { numRuns: 200 },
  );
});

test('the canonical text of a small config, written out', () => {
  const result = parseConfig(`[Interface]\naddress=10.0.0.2/24\nprivatekey = SKop/2PZ6wWCzpZTnragzdDFnmArRRWCjKeC5mtbnG8=\nfwmark=51820\n[Peer]\nendpoint=[2001:DB8:0::1]:1\npublickey=W2tOgLHLc+db3rctSa5d5tQLNwSutJnBLd2t4Z/QaBs=\npersistentkeepalive=0\n`);
  assert.ok(result.ok);
  assert.equal(
    serializeConfig(result.config),
    `[Interface]
PrivateKey = SKop/2PZ6wWCzpZTnragzdDFnmArRRWCjKeC5mtbnG8=
FwMark = 0xca6c
Address = 10.0.0.2/24

[Peer]
PublicKey = W2tOgLHLc+db3rctSa5d5tQLNwSutJnBLd2t4Z/QaBs=
Endpoint = [2001:db8::1]:1
PersistentKeepalive = off
`,
  );
});
