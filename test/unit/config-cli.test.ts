// The wirefly command dispatcher and its config and key commands, run in-process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../helper/src/cli/main.js';
import type { CliIo } from '../../helper/src/cli/io.js';
import { keyFromBase64 } from '../../helper/src/config/index.js';
import { withinCpuTimeAsync } from './support/cpu-time.js';

function fakeIo(files: Record<string, string>, stdin = '') {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: (text) => void (out.stdout += text),
    stderr: (text) => void (out.stderr += text),
    readStdin: async () => new TextEncoder().encode(stdin),
    readFile(path, limit) {
      const text = files[path];
      if (text === undefined) throw new Error('ENOENT: no such file');
      return new TextEncoder().encode(text).subarray(0, limit + 1);
    },
    fileExists: (path) => path in files,
    stdoutIsWorldAccessibleFile: () => false,
  };
  return { io, out };
}

const GOOD =
  '[Interface]\nPrivateKey = SKop/2PZ6wWCzpZTnragzdDFnmArRRWCjKeC5mtbnG8=\nAddress = 10.0.0.2/32\n[Peer]\nPublicKey = W2tOgLHLc+db3rctSa5d5tQLNwSutJnBLd2t4Z/QaBs=\nAllowedIPs = 10.0.0.0/24\nEndpoint = 192.0.2.1:51820\n';
const WARNED = GOOD.replace('10.0.0.0/24', '10.0.0.1/24');
const BAD = GOOD.replace('10.0.0.0/24', '10.0.0.300/32');

test('config check: ok files exit 0, warnings do not fail, errors exit 1 with file:line:column', async () => {
  const { io, out } = fakeIo({ 'a.conf': GOOD, 'b.conf': WARNED, 'c.conf': BAD });
  assert.equal(await run(['config', 'check', 'a.conf', 'b.conf'], io), 0);
  assert.match(out.stdout, /^a\.conf: ok: 1 peer, 0 warnings$/m);
  assert.match(
    out.stdout,
    /^b\.conf:6:14: warning: AllowedIPs: 10\.0\.0\.1\/24 has host bits set.*\[allowed-ip-host-bits\]$/m,
  );
  assert.equal(await run(['config', 'check', 'a.conf', 'c.conf'], io), 1);
  assert.match(
    out.stdout,
    /^c\.conf:6:14: error: AllowedIPs: '10\.0\.0\.300\/32' is not an IPv4 or IPv6 network \[bad-network\]$/m,
  );
});

test('config check: an unreadable file fails with the reason, the others are still checked', async () => {
  const { io, out } = fakeIo({ 'a.conf': GOOD });
  assert.equal(await run(['config', 'check', 'missing.conf', 'a.conf'], io), 1);
  assert.match(out.stderr, /missing\.conf: cannot read: ENOENT/);
  assert.match(out.stdout, /a\.conf: ok/);
});

test('config strip: like wg-quick strip, including its file name rules', async () => {
  const files = {
    '/tmp/wg0.conf': GOOD,
    '/etc/wireguard/home.conf': GOOD,
    '/tmp/not an interface.conf': GOOD,
    '/tmp/bad0.conf': BAD,
  };
  let { io, out } = fakeIo(files);
  assert.equal(await run(['config', 'strip', '/tmp/wg0.conf'], io), 0);
  assert.equal(out.stdout, GOOD.replace('Address = 10.0.0.2/32\n', '') + '\n');
  ({ io, out } = fakeIo(files));
  assert.equal(await run(['config', 'strip', 'home'], io), 0, 'a bare name is /etc/wireguard/NAME.conf');
  ({ io, out } = fakeIo(files));
  assert.equal(await run(['config', 'strip', '/tmp/not an interface.conf'], io), 1);
  assert.match(out.stderr, /must be a valid interface name/);
  ({ io, out } = fakeIo(files));
  assert.equal(await run(['config', 'strip', '/tmp/bad0.conf'], io), 1);
  assert.match(out.stderr, /bad-network/);
  assert.equal(out.stdout, '');
});

test('genkey, genpsk and pubkey', async () => {
  let { io, out } = fakeIo({});
  assert.equal(await run(['genkey'], io), 0);
  const privateKey = out.stdout.trim();
  assert.ok(keyFromBase64(privateKey));
  ({ io, out } = fakeIo({}, 'SKop/2PZ6wWCzpZTnragzdDFnmArRRWCjKeC5mtbnG8=\n'));
  assert.equal(await run(['pubkey'], io), 0);
  assert.equal(out.stdout, 'MFOTVKMm2pLBxdJWZS6vM+kHhoh773qJibYFXhRkt24=\n');
  ({ io, out } = fakeIo({}, ' SKop/2PZ6wWCzpZTnragzdDFnmArRRWCjKeC5mtbnG8=\n'));
  assert.equal(await run(['pubkey'], io), 1, 'leading space is refused, as wg does');
  assert.match(out.stderr, /not the correct length or format/);
  ({ io, out } = fakeIo({}));
  assert.equal(await run(['genpsk'], io), 0);
  assert.equal(keyFromBase64(out.stdout.trim())?.length, 32);
});

test('pubkey trims blanks from the end in time linear in them, also where they do not end the input', async () => {
  const { io, out } = fakeIo({}, `SKop/2PZ6wWCzpZTnragzdDFnmArRRWCjKeC5mtbnG8=${' '.repeat(200_000)}x\n`);
  assert.equal(await withinCpuTimeAsync(2000, () => run(['pubkey'], io)), 1);
  assert.match(out.stderr, /not the correct length or format/);
});

test('unknown or missing commands print usage and exit 1; help exits 0', async () => {
  let { io, out } = fakeIo({});
  assert.equal(await run(['frobnicate'], io), 1);
  assert.match(out.stderr, /unknown command 'frobnicate'/);
  assert.equal(await run(['toString'], io), 1, 'object properties are not commands');
  ({ io, out } = fakeIo({}));
  assert.equal(await run([], io), 1);
  assert.match(out.stderr, /Usage: wirefly COMMAND/);
  assert.equal(await run(['config'], io), 1);
  ({ io, out } = fakeIo({}));
  assert.equal(await run(['--help'], io), 0);
  assert.match(out.stdout, /genkey/);
});
