import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, type WgQuickConfig } from '../../helper/src/config/index.js';
import { tunnelConflicts } from '../../helper/src/service/tunnel-conflicts.js';
import { cidrsOverlap, parseCidr } from '../../helper/src/net/ip.js';
import { clientConfig } from './support/service-fakes.js';

function config(text: string): WgQuickConfig {
  const parsed = parseConfig(text);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  return parsed.config;
}

test('networks overlap when one holds the other, in one family only', () => {
  const overlap = (a: string, b: string): boolean => cidrsOverlap(parseCidr(a)!, parseCidr(b)!);
  assert.equal(overlap('10.0.0.0/8', '10.1.2.0/24'), true);
  assert.equal(overlap('10.1.2.0/24', '10.0.0.0/8'), true);
  assert.equal(overlap('10.1.2.0/24', '10.1.3.0/24'), false);
  assert.equal(overlap('0.0.0.0/0', '192.0.2.1/32'), true);
  assert.equal(overlap('0.0.0.0/0', '::/0'), false);
  assert.equal(overlap('fd00::/8', 'fd12:3456::/32'), true);
});

test('what two tunnels both claim: routes, DNS, addresses, the listen port', () => {
  const a = config(clientConfig({ net: 201, extra: 'ListenPort = 51000' }));
  assert.deepEqual(tunnelConflicts(config(clientConfig({ net: 202, dns: false })), a), []);
  assert.deepEqual(tunnelConflicts(config(clientConfig({ net: 202 })), a), ['both set DNS']);
  assert.deepEqual(tunnelConflicts(config(clientConfig({ net: 202, dns: false, allowedIps: '0.0.0.0/0' })), a), [
    'both route 10.201.0.0/24',
  ]);
  assert.deepEqual(tunnelConflicts(config(clientConfig({ net: 202, dns: false, extra: 'ListenPort = 51000' })), a), [
    'both listen on UDP port 51000',
  ]);
  assert.deepEqual(tunnelConflicts(config(clientConfig({ net: 201, dns: false, allowedIps: '10.9.0.0/24' })), a), [
    'both use the address 10.201.0.2/32',
  ]);
  // Table = off adds no routes: its AllowedIPs claim nothing of the routing table.
  assert.deepEqual(
    tunnelConflicts(config(clientConfig({ net: 202, dns: false, allowedIps: '0.0.0.0/0', extra: 'Table = off' })), a),
    [],
  );
  assert.deepEqual(
    tunnelConflicts(
      config(clientConfig({ net: 202, dns: false, extra: 'ListenPort = 0' })),
      config(clientConfig({ net: 203, dns: false, extra: 'ListenPort = 0' })),
    ),
    [],
    'port 0 is any free port',
  );
});
