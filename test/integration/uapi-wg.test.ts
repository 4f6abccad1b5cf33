// The real wg(8) against Wirefly's control socket, with an in-memory device
// behind it: what wg sends must land in the device with wg's meaning, and what
// the device reports must come out of wg as it would for wireguard-go.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatCidr, formatEndpoint } from '../../helper/src/net/ip.js';
import { EADDRINUSE } from '../../helper/src/uapi/errno.js';
import { MemoryUapiDevice } from '../unit/support/memory-uapi-device.js';
import { UapiError, type UapiDevice, type UapiDeviceState, type UapiSetStep } from '../../helper/src/uapi/model.js';
import { formatKeyHex } from '../../helper/src/uapi/protocol.js';
import { startUapiServer, type UapiServer } from '../../helper/src/uapi/server.js';
import { parseDump } from './harness/dump.js';
import { CommandError, exec } from './harness/exec.js';
import { uniqueName } from './harness/names.js';
import { assertPreconditions } from './harness/preconditions.js';

/** wg refuses this port with the device's errno, as if another socket held it. */
const TAKEN_PORT = 1;

const memory = new MemoryUapiDevice({
  bind: (port) => {
    if (port === TAKEN_PORT) throw new UapiError(EADDRINUSE, `port ${port} is taken`);
    return port;
  },
});
/** Traffic the test pretends each peer (by base64 public key) has seen. */
const statistics = new Map<
  string,
  { rxBytes: bigint; txBytes: bigint; lastHandshake: { sec: number; nsec: number } }
>();
const device: UapiDevice = {
  get: () => {
    const state = memory.get();
    return {
      ...state,
      peers: Array.from(state.peers, (peer) => ({ ...peer, ...statistics.get(base64(peer.publicKey)) })),
    };
  },
  beginSet: () => {
    const session = memory.beginSet();
    const steps: UapiSetStep[] = [];
    lastSteps = steps;
    return {
      apply: (step) => {
        steps.push(step);
        return session.apply(step);
      },
      end: () => session.end(),
    };
  },
};
/** The steps of the last set request, as wg sent them. */
let lastSteps: UapiSetStep[] = [];

/** The peers the last set request removed, by base64 public key. */
function removedPeers(): string[] {
  return lastSteps.flatMap((step, i) =>
    step.key === 'remove' && lastSteps[i - 1]?.key === 'public_key'
      ? [base64((lastSteps[i - 1] as { value: Uint8Array }).value)]
      : [],
  );
}

const ifname = uniqueName();
let server: UapiServer | undefined;
let scratch = '';
const KEY_NAMES = ['device', 'peer1', 'peer2', 'peer3', 'psk'] as const;
const keys = {} as Record<(typeof KEY_NAMES)[number], { private: string; public: string }>;

function base64(key: Uint8Array): string {
  return Buffer.from(key).toString('base64');
}

function wg(...args: string[]): Promise<string> {
  return exec(undefined, 'wg', args);
}

async function file(name: string, text: string): Promise<string> {
  const path = join(scratch, name);
  await writeFile(path, text, { mode: 0o600 });
  return path;
}

/** The device's configuration in wg's terms: base64 keys, text networks. */
function configuration(state: UapiDeviceState) {
  return {
    privateKey: state.privateKey && base64(state.privateKey),
    listenPort: state.listenPort,
    fwmark: state.fwmark,
    peers: Array.from(state.peers, (peer) => ({
      publicKey: base64(peer.publicKey),
      presharedKey: peer.presharedKey && base64(peer.presharedKey),
      endpoint: peer.endpoint && formatEndpoint(peer.endpoint),
      persistentKeepaliveInterval: peer.persistentKeepaliveInterval,
      allowedIps: peer.allowedIps.map(formatCidr),
    })),
  };
}

/** Sends raw protocol text and returns everything the server answers until it hangs up. */
function converse(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(server!.path);
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.end(text);
  });
}

before(async () => {
  assertPreconditions();
  scratch = await mkdtemp(join(tmpdir(), 'wirefly-uapi-wg-'));
  for (const name of KEY_NAMES) {
    const privateKey = (await wg('genkey')).trim();
    keys[name] = {
      private: privateKey,
      public: (await exec(undefined, 'wg', ['pubkey'], { input: privateKey })).trim(),
    };
  }
  server = await startUapiServer({ interfaceName: ifname, device });
});

after(async () => {
  await server?.close();
  await rm(scratch, { recursive: true, force: true });
});

test('the socket sits where wg looks, and only root can open it', async () => {
  assert.equal(server!.path, `/var/run/wireguard/${ifname}.sock`);
  const socket = await stat(server!.path);
  assert.ok(socket.isSocket());
  assert.equal(socket.uid, 0);
  assert.equal(socket.mode & 0o077, 0);
  assert.equal((await stat('/var/run/wireguard')).mode & 0o777, 0o755);
  assert.ok((await wg('show', 'interfaces')).trim().split(/\s+/).includes(ifname));
});

test('wg set: device and peer settings', async () => {
  const privateKey = await file('private', keys.device.private);
  const psk = await file('psk', keys.psk.private);
  await wg(
    'set',
    ifname,
    'private-key',
    privateKey,
    'listen-port',
    '51820',
    'fwmark',
    '0x33',
    'peer',
    keys.peer1.public,
    'preshared-key',
    psk,
    'endpoint',
    '192.0.2.1:51820',
    'persistent-keepalive',
    '25',
    'allowed-ips',
    '10.0.0.0/24,fd00::/64',
    'peer',
    keys.peer2.public,
    'endpoint',
    '[2001:db8::1]:443',
    'allowed-ips',
    '10.0.1.0/24',
  );
  assert.deepEqual(configuration(device.get()), {
    privateKey: keys.device.private,
    listenPort: 51820,
    fwmark: 0x33,
    peers: [
      {
        publicKey: keys.peer1.public,
        presharedKey: keys.psk.private,
        endpoint: '192.0.2.1:51820',
        persistentKeepaliveInterval: 25,
        allowedIps: ['10.0.0.0/24', 'fd00::/64'],
      },
      {
        publicKey: keys.peer2.public,
        presharedKey: undefined,
        endpoint: '[2001:db8::1]:443',
        persistentKeepaliveInterval: 0,
        allowedIps: ['10.0.1.0/24'],
      },
    ],
  });
});

test('wg showconf prints the configuration back', async () => {
  assert.equal(
    await wg('showconf', ifname),
    [
      '[Interface]',
      'ListenPort = 51820',
      'FwMark = 0x33',
      `PrivateKey = ${keys.device.private}`,
      '',
      '[Peer]',
      `PublicKey = ${keys.peer1.public}`,
      `PresharedKey = ${keys.psk.private}`,
      'AllowedIPs = 10.0.0.0/24, fd00::/64',
      'Endpoint = 192.0.2.1:51820',
      'PersistentKeepalive = 25',
      '',
      '[Peer]',
      `PublicKey = ${keys.peer2.public}`,
      'AllowedIPs = 10.0.1.0/24',
      'Endpoint = [2001:db8::1]:443',
      '',
    ].join('\n'),
  );
});

test('wg show reports handshakes and transfer as the device counts them', async () => {
  statistics.set(keys.peer1.public, {
    rxBytes: 123456789n,
    txBytes: 2n ** 40n,
    lastHandshake: { sec: Math.floor(Date.now() / 1000) - 5, nsec: 500 },
  });
  try {
    const dump = parseDump(await wg('show', ifname, 'dump'));
    assert.equal(dump.publicKey, keys.device.public);
    assert.equal(dump.listenPort, 51820);
    const [peer1, peer2] = dump.peers;
    assert.equal(peer1?.rxBytes, 123456789);
    assert.equal(peer1?.txBytes, 2 ** 40);
    assert.ok(Math.abs(peer1!.latestHandshake - (Date.now() / 1000 - 5)) < 3);
    assert.equal(peer1?.persistentKeepalive, 25);
    assert.equal(peer2?.latestHandshake, 0);
    assert.equal(peer2?.presharedKey, undefined);
    const pretty = await wg('show', ifname);
    assert.match(pretty, new RegExp(`interface: ${ifname}\\n  public key: ${base64Pattern(keys.device.public)}\\n`));
    assert.match(pretty, /listening port: 51820\n {2}fwmark: 0x33\n/);
    assert.match(pretty, /transfer: 117\.74 MiB received, 1\.00 TiB sent/);
    assert.match(pretty, /latest handshake: \d+ seconds ago/);
    assert.match(
      await wg('show', ifname, 'transfer'),
      new RegExp(`${base64Pattern(keys.peer1.public)}\\t123456789\\t1099511627776`),
    );
  } finally {
    statistics.clear();
  }
});

/** A base64 key as a regular expression. */
function base64Pattern(text: string): string {
  return text.replace(/[+/=]/g, (c) => `\\${c}`);
}

test('wg set: allowed-ips replace, remove drops the peer', async () => {
  await wg(
    'set',
    ifname,
    'peer',
    keys.peer1.public,
    'allowed-ips',
    '10.9.0.0/16,10.0.1.0/24',
    'peer',
    keys.peer2.public,
    'remove',
  );
  const state = configuration(device.get());
  assert.deepEqual(
    state.peers.map((peer) => [peer.publicKey, peer.allowedIps]),
    [[keys.peer1.public, ['10.9.0.0/16', '10.0.1.0/24']]],
  );
});

test('"allowed_ip=-CIDR" removes one network (newer wg sends it for allowed-ips -CIDR)', async () => {
  const hex = formatKeyHex(Buffer.from(keys.peer1.public, 'base64'));
  assert.equal(await converse(`set=1\npublic_key=${hex}\nallowed_ip=-10.9.0.0/16\n\n`), 'errno=0\n\n');
  assert.deepEqual(configuration(device.get()).peers[0]?.allowedIps, ['10.0.1.0/24']);
});

test('a refusal from the device reaches wg as its errno', async () => {
  await assert.rejects(wg('set', ifname, 'listen-port', String(TAKEN_PORT)), (error: unknown) => {
    assert.ok(error instanceof CommandError);
    assert.match(error.stderr, /Address already in use/);
    return true;
  });
  assert.equal(device.get().listenPort, 51820);
});

test('wg setconf replaces the whole configuration', async () => {
  const conf = await file(
    'setconf.conf',
    [
      '[Interface]',
      `PrivateKey = ${keys.device.private}`,
      'ListenPort = 51821',
      '',
      '[Peer]',
      `PublicKey = ${keys.peer3.public}`,
      'AllowedIPs = 10.3.0.0/16, 10.0.1.0/24',
      'Endpoint = [::1]:9',
      '',
      '[Peer]',
      `PublicKey = ${keys.peer2.public}`,
      `PresharedKey = ${keys.psk.private}`,
      'AllowedIPs = 10.2.0.0/16',
      '',
    ].join('\n'),
  );
  await wg('setconf', ifname, conf);
  assert.ok(lastSteps.some((step) => step.key === 'replace_peers'));
  assert.deepEqual(configuration(device.get()), {
    privateKey: keys.device.private,
    listenPort: 51821,
    // What the file leaves out of [Interface], setconf resets.
    fwmark: 0,
    peers: [
      {
        publicKey: keys.peer3.public,
        presharedKey: undefined,
        endpoint: '[::1]:9',
        persistentKeepaliveInterval: 0,
        allowedIps: ['10.3.0.0/16', '10.0.1.0/24'],
      },
      {
        publicKey: keys.peer2.public,
        presharedKey: keys.psk.private,
        endpoint: undefined,
        persistentKeepaliveInterval: 0,
        allowedIps: ['10.2.0.0/16'],
      },
    ],
  });
});

test('wg syncconf changes only what differs and keeps what the file leaves unsaid', async () => {
  const conf = await file(
    'syncconf.conf',
    [
      '[Interface]',
      `PrivateKey = ${keys.device.private}`,
      'ListenPort = 51821',
      'FwMark = 0',
      '',
      '[Peer]',
      `PublicKey = ${keys.peer2.public}`,
      'AllowedIPs = 10.2.0.0/16, 10.0.1.0/24',
      'PersistentKeepalive = 15',
      '',
      '[Peer]',
      `PublicKey = ${keys.peer1.public}`,
      'AllowedIPs = 10.1.0.0/16',
      '',
    ].join('\n'),
  );
  await wg('syncconf', ifname, conf);
  // Unlike setconf, no wholesale replacement: the peer missing from the file is removed by name.
  assert.ok(!lastSteps.some((step) => step.key === 'replace_peers'));
  assert.deepEqual(removedPeers(), [keys.peer3.public]);
  const state = configuration(device.get());
  assert.equal(state.fwmark, 0);
  // Whether wg clears a preshared key the file leaves out depends on its version, so it is not compared.
  assert.deepEqual(
    state.peers.map((peer) => [peer.publicKey, peer.endpoint, peer.persistentKeepaliveInterval, peer.allowedIps]),
    [
      [keys.peer2.public, undefined, 15, ['10.2.0.0/16', '10.0.1.0/24']],
      [keys.peer1.public, undefined, 0, ['10.1.0.0/16']],
    ],
  );
  assert.doesNotMatch(await wg('showconf', ifname), /FwMark/);
});

test('hostile clients: garbage, an endless line, many idle connections; wg is served throughout', async () => {
  assert.equal(await converse('\u0000\u00ff garbage\n\n'), '');
  assert.equal(await converse('set=1\nlisten_port=banana\n\nget=1\nx\n'), 'errno=-22\n\nerrno=-22\n\n');
  const idle = await Promise.all(
    Array.from({ length: 100 }, () => {
      const socket = createConnection(server!.path);
      socket.on('error', () => {});
      return new Promise<typeof socket>((resolve) => socket.on('connect', () => resolve(socket)));
    }),
  );
  try {
    const hundredMegabytes = 100 * 1024 * 1024;
    const flood = new Promise<number>((resolve) => {
      const socket = createConnection(server!.path);
      const chunk = Buffer.alloc(1024 * 1024, '7');
      let sent = 0;
      const pump = () => {
        while (!socket.destroyed && sent < hundredMegabytes && socket.write(chunk)) sent += chunk.length;
      };
      socket.on('connect', () => socket.write('set=1\nlisten_port=', pump));
      socket.on('drain', pump);
      socket.on('error', () => {});
      socket.on('close', () => resolve(sent));
    });
    assert.match(await wg('show', ifname), new RegExp(`interface: ${ifname}`));
    assert.ok((await flood) < hundredMegabytes, 'the server took the whole endless line');
    const dump = parseDump(await wg('show', ifname, 'dump'));
    assert.equal(dump.listenPort, 51821);
    assert.equal(dump.peers.length, 2);
  } finally {
    for (const socket of idle) socket.destroy();
  }
});

test('closing the server removes the socket, and wg no longer finds the interface', async () => {
  await server!.close();
  await assert.rejects(stat(`/var/run/wireguard/${ifname}.sock`), { code: 'ENOENT' });
  assert.ok(!(await wg('show', 'interfaces')).split(/\s+/).includes(ifname));
  await assert.rejects(wg('show', ifname), CommandError);
});
