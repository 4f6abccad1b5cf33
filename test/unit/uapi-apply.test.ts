import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCidr, formatEndpoint } from '../../helper/src/net/ip.js';
import { EADDRINUSE } from '../../helper/src/uapi/errno.js';
import { MemoryUapiDevice } from './support/memory-uapi-device.js';
import { UapiError, type UapiDeviceState } from '../../helper/src/uapi/model.js';
import { formatKeyHex, parseSetRequest } from '../../helper/src/uapi/protocol.js';

// RFC 7748, section 6.1: Alice's key pair.
const ALICE_PRIVATE = '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a';
const ALICE_PUBLIC = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
const PEER_A = 'aa'.repeat(32);
const PEER_B = 'bb'.repeat(32);
const PEER_C = 'cc'.repeat(32);
const PSK = '11'.repeat(32);
const ZERO = '00'.repeat(32);

/** The state as text, so that failures read well. */
function view(state: UapiDeviceState) {
  return {
    privateKey: state.privateKey && formatKeyHex(state.privateKey),
    listenPort: state.listenPort,
    fwmark: state.fwmark,
    peers: Object.fromEntries(
      Array.from(state.peers, (peer) => [
        formatKeyHex(peer.publicKey).slice(0, 2),
        {
          psk: peer.presharedKey && formatKeyHex(peer.presharedKey).slice(0, 2),
          endpoint: peer.endpoint && formatEndpoint(peer.endpoint),
          keepalive: peer.persistentKeepaliveInterval,
          allowedIps: peer.allowedIps.map(formatCidr),
        },
      ]),
    ),
  };
}

async function apply(device: MemoryUapiDevice, ...lines: string[]) {
  await device.set(parseSetRequest(lines));
  return view(device.get());
}

const blank = { psk: undefined, endpoint: undefined, keepalive: 0, allowedIps: [] };

test('device settings', async () => {
  const device = new MemoryUapiDevice();
  assert.deepEqual(await apply(device, `private_key=${ALICE_PRIVATE}`, 'listen_port=51820', 'fwmark=7'), {
    // Stored clamped.
    privateKey: '70076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c6a',
    listenPort: 51820,
    fwmark: 7,
    peers: {},
  });
  assert.equal(formatKeyHex(device.publicKey() ?? new Uint8Array()), ALICE_PUBLIC);
  assert.deepEqual(await apply(device, `private_key=${ZERO}`, 'fwmark=0'), {
    privateKey: undefined,
    listenPort: 51820,
    fwmark: 0,
    peers: {},
  });
  assert.equal(device.publicKey(), undefined);
});

test('peers are created with their settings and updated by later requests', async () => {
  const device = new MemoryUapiDevice();
  await apply(
    device,
    `public_key=${PEER_A}`,
    `preshared_key=${PSK}`,
    'endpoint=[2001:db8::1]:51820',
    'persistent_keepalive_interval=25',
    'allowed_ip=10.0.0.0/24',
  );
  const state = await apply(device, `public_key=${PEER_A}`, 'endpoint=192.0.2.1:1', 'allowed_ip=10.0.1.0/24');
  assert.deepEqual(state.peers, {
    aa: { psk: '11', endpoint: '192.0.2.1:1', keepalive: 25, allowedIps: ['10.0.0.0/24', '10.0.1.0/24'] },
  });
  const cleared = await apply(
    device,
    `public_key=${PEER_A}`,
    `preshared_key=${ZERO}`,
    'persistent_keepalive_interval=0',
  );
  assert.equal(cleared.peers.aa?.psk, undefined);
  assert.equal(cleared.peers.aa?.keepalive, 0);
});

test('replace_peers removes every peer the request does not list again', async () => {
  const device = new MemoryUapiDevice();
  await apply(device, `public_key=${PEER_A}`, 'allowed_ip=10.0.0.0/8', `public_key=${PEER_B}`);
  const state = await apply(
    device,
    'replace_peers=true',
    `public_key=${PEER_B}`,
    `public_key=${PEER_C}`,
    'allowed_ip=10.0.0.0/8',
  );
  assert.deepEqual(state.peers, { bb: blank, cc: { ...blank, allowedIps: ['10.0.0.0/8'] } });
});

test('update_only changes a peer that exists and creates none', async () => {
  const device = new MemoryUapiDevice();
  await apply(device, `public_key=${PEER_A}`);
  const state = await apply(
    device,
    `public_key=${PEER_A}`,
    'update_only=true',
    'persistent_keepalive_interval=5',
    `public_key=${PEER_B}`,
    'allowed_ip=10.0.0.0/8',
    'update_only=true',
  );
  assert.deepEqual(state.peers, { aa: { ...blank, keepalive: 5 } });
});

test('remove takes the peer and its networks away; removing a stranger does nothing', async () => {
  const device = new MemoryUapiDevice();
  await apply(device, `public_key=${PEER_A}`, 'allowed_ip=10.0.0.0/8', `public_key=${PEER_B}`);
  const state = await apply(
    device,
    `public_key=${PEER_A}`,
    'remove=true',
    'allowed_ip=10.1.0.0/16',
    `public_key=${PEER_C}`,
    'remove=true',
  );
  assert.deepEqual(state.peers, { bb: blank });
  // The network is free again: giving it to B takes it from nobody.
  const after = await apply(device, `public_key=${PEER_B}`, 'allowed_ip=10.0.0.0/8');
  assert.deepEqual(after.peers, { bb: { ...blank, allowedIps: ['10.0.0.0/8'] } });
});

test('a network belongs to one peer: adding it elsewhere moves it', async () => {
  const device = new MemoryUapiDevice();
  await apply(
    device,
    `public_key=${PEER_A}`,
    'allowed_ip=10.0.0.0/8',
    'allowed_ip=10.1.0.0/16',
    `public_key=${PEER_B}`,
  );
  const state = await apply(device, `public_key=${PEER_B}`, 'allowed_ip=10.1.2.3/16');
  assert.deepEqual(state.peers, {
    aa: { ...blank, allowedIps: ['10.0.0.0/8'] },
    bb: { ...blank, allowedIps: ['10.1.0.0/16'] },
  });
});

test('"-CIDR" removes a network only from the peer that has it', async () => {
  const device = new MemoryUapiDevice();
  await apply(
    device,
    `public_key=${PEER_A}`,
    'allowed_ip=10.0.0.0/8',
    'allowed_ip=fd00::/64',
    `public_key=${PEER_B}`,
    'allowed_ip=10.9.0.0/16',
  );
  const state = await apply(
    device,
    `public_key=${PEER_B}`,
    'allowed_ip=-10.0.0.0/8',
    'allowed_ip=-10.9.0.0/16',
    `public_key=${PEER_A}`,
    'allowed_ip=-fd00::1/64',
    'allowed_ip=-192.168.0.0/16',
  );
  assert.deepEqual(state.peers, { aa: { ...blank, allowedIps: ['10.0.0.0/8'] }, bb: blank });
});

test('replace_allowed_ips keeps only the networks listed after it', async () => {
  const device = new MemoryUapiDevice();
  await apply(device, `public_key=${PEER_A}`, 'allowed_ip=10.0.0.0/8', 'allowed_ip=10.1.0.0/16');
  const state = await apply(
    device,
    `public_key=${PEER_A}`,
    'allowed_ip=10.7.0.0/16',
    'replace_allowed_ips=true',
    'allowed_ip=10.2.0.0/16',
  );
  assert.deepEqual(state.peers, { aa: { ...blank, allowedIps: ['10.2.0.0/16'] } });
});

test('the device is never its own peer', async () => {
  const device = new MemoryUapiDevice();
  await apply(device, `public_key=${ALICE_PUBLIC}`, `public_key=${PEER_A}`);
  // A new private key whose public key is a peer's removes that peer.
  const state = await apply(
    device,
    `private_key=${ALICE_PRIVATE}`,
    `public_key=${ALICE_PUBLIC}`,
    'allowed_ip=10.0.0.0/8',
  );
  assert.deepEqual(Object.keys(state.peers), ['aa']);
});

test('a port that cannot be bound refuses the whole request', async () => {
  const device = new MemoryUapiDevice({
    bind: (port) => {
      if (port === 53) throw new UapiError(EADDRINUSE, 'port 53 is taken');
      return port === 0 ? 40000 : port;
    },
  });
  assert.equal((await apply(device, 'listen_port=0')).listenPort, 40000);
  await assert.rejects(
    device.set(
      parseSetRequest([`private_key=${ALICE_PRIVATE}`, 'listen_port=53', 'replace_peers=true', `public_key=${PEER_A}`]),
    ),
    (error: unknown) => error instanceof UapiError && error.errno === EADDRINUSE,
  );
  assert.deepEqual(view(device.get()), { privateKey: undefined, listenPort: 40000, fwmark: 0, peers: {} });
});
