// The canonical text serializeConfig writes. That parse(serialize(x)) equals x,
// and serialize(parse(serialize(x))) is the same text, is checked on generated
// documents in test/fuzz/config-target.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, serializeConfig } from '../../helper/src/config/index.js';

test('the canonical text of a small config, written out', () => {
  const result = parseConfig(
    `[Interface]\naddress=10.0.0.2/24\nprivatekey = SKop/2PZ6wWCzpZTnragzdDFnmArRRWCjKeC5mtbnG8=\nfwmark=51820\n[Peer]\nendpoint=[2001:DB8:0::1]:1\npublickey=W2tOgLHLc+db3rctSa5d5tQLNwSutJnBLd2t4Z/QaBs=\npersistentkeepalive=0\n`,
  );
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
