// The engine's Windows UDP (udp_win32.c through native-udp.ts) over real
// Winsock on loopback: what each datagram reports of the address it was sent
// to, replies pinned to a source address, a pinned source Windows refuses,
// and batches in both directions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindWinsockUdp } from '../../helper/src/os/win32/udp.js';
import { formatIpAddress, parseIpAddress, type Endpoint } from '../../helper/src/net/ip.js';
import type { DatagramBatch, UdpHandler, UdpTransport } from '../../helper/src/os/udp.js';
import { runningUnderWine } from '../../helper/src/os/win32/security.js';

interface Arrival {
  readonly text: string;
  readonly from: string;
  readonly port: number;
  readonly local: string | undefined;
  readonly localInterface: number;
}

class Receiver implements UdpHandler {
  readonly arrivals: Arrival[] = [];
  readonly batchSizes: number[] = [];
  readonly stale: Endpoint[] = [];
  private waiters: (() => void)[] = [];

  datagrams(batch: DatagramBatch): void {
    this.batchSizes.push(batch.count);
    for (let i = 0; i < batch.count; i++) {
      const endpoint = batch.endpoint(i);
      const local = batch.localAddress(i);
      this.arrivals.push({
        text: Buffer.from(batch.datagram(i)).toString(),
        from: formatIpAddress(endpoint),
        port: endpoint.port,
        local: local ? formatIpAddress({ family: endpoint.family, bytes: local }) : undefined,
        localInterface: batch.localInterface(i),
      });
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  staleSource(endpoint: Endpoint): void {
    this.stale.push(endpoint);
  }

  async until(count: number, timeoutMs = 10_000): Promise<Arrival[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.arrivals.length < count) {
      if (Date.now() > deadline) throw new Error(`${this.arrivals.length} of ${count} datagrams arrived`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.arrivals;
  }
}

function endpoint(address: string, port: number, local?: string, localInterface?: number): Endpoint {
  const parsed = parseIpAddress(address)!;
  return {
    ...parsed,
    port,
    localAddress: local === undefined ? undefined : parseIpAddress(local)!.bytes,
    localInterface,
  };
}

function pair(t: { after(fn: () => void): void }): { a: UdpTransport; b: UdpTransport; atB: Receiver } {
  const atB = new Receiver();
  const a = bindWinsockUdp(0, new Receiver());
  const b = bindWinsockUdp(0, atB);
  t.after(() => {
    a.close();
    b.close();
  });
  return { a, b, atB };
}

test('a datagram to 127.0.0.1 reports 127.0.0.1 as its local address and a loopback interface index', async (t) => {
  const { a, b, atB } = pair(t);
  assert.ok(a.port > 0 && b.port > 0 && a.port !== b.port);
  assert.equal(a.send(Buffer.from('to v4'), endpoint('127.0.0.1', b.port)), true);
  const [arrival] = await atB.until(1);
  assert.deepEqual(
    { ...arrival, localInterface: undefined },
    {
      text: 'to v4',
      from: '127.0.0.1',
      port: a.port,
      local: '127.0.0.1',
      localInterface: undefined,
    },
  );
  assert.ok(arrival!.localInterface > 0, `interface index ${arrival!.localInterface}`);
});

test('a datagram to ::1 reports ::1 as its local address and a loopback interface index', async (t) => {
  const { a, b, atB } = pair(t);
  assert.equal(a.send(Buffer.from('to v6'), endpoint('::1', b.port)), true);
  const [arrival] = await atB.until(1);
  assert.equal(arrival!.text, 'to v6');
  assert.equal(arrival!.from, '::1');
  assert.equal(arrival!.port, a.port);
  assert.equal(arrival!.local, '::1');
  assert.ok(arrival!.localInterface > 0, `interface index ${arrival!.localInterface}`);
});

// Wine 8's WSASendMsg hands only the buffers and the destination on
// (ws2_32's WS2_sendto): the control message with the source is dropped, so
// under Wine a pinned datagram leaves from the address routing picks and no
// source is ever refused. Windows itself sends from the pinned address.
test('a datagram pinned to 127.0.0.1 arrives from it; one pinned to 127.0.0.2 too, on Windows (not Wine)', async (t) => {
  const { a, b, atB } = pair(t);
  assert.equal(a.send(Buffer.from('pinned'), endpoint('127.0.0.1', b.port, '127.0.0.1', 1)), true);
  assert.equal(a.send(Buffer.from('pinned elsewhere'), endpoint('127.0.0.1', b.port, '127.0.0.2', 1)), true);
  const arrivals = await atB.until(2);
  assert.deepEqual(
    arrivals.map(({ text, from, port }) => ({ text, from, port })),
    [
      { text: 'pinned', from: '127.0.0.1', port: a.port },
      { text: 'pinned elsewhere', from: runningUnderWine() ? '127.0.0.1' : '127.0.0.2', port: a.port },
    ],
  );
  assert.equal(a.stats().sendDropped, 0);
});

test('a pinned source that is no address of this host is refused (not under Wine), and the datagram leaves without it', async (t) => {
  const atA = new Receiver();
  const atB = new Receiver();
  const a = bindWinsockUdp(0, atA);
  const b = bindWinsockUdp(0, atB);
  t.after(() => {
    a.close();
    b.close();
  });
  const stale = endpoint('127.0.0.1', b.port, '192.0.2.7', 1);
  assert.equal(a.sendBatch([Buffer.from('unpinned')], [stale]), 1);
  const [arrival] = await atB.until(1);
  assert.equal(arrival!.text, 'unpinned');
  assert.equal(arrival!.from, '127.0.0.1');
  // SOURCE_REFUSED reaches the handler once the send has returned.
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(atA.stale, runningUnderWine() ? [] : [stale]);
});

test('a batch of 1000 datagrams arrives complete, several to a wake-up', async (t) => {
  const { a, b, atB } = pair(t);
  const datagrams = Array.from({ length: 1000 }, (_, i) => Buffer.from(`datagram ${i}`));
  const to = endpoint('127.0.0.1', b.port);
  assert.equal(
    a.sendBatch(
      datagrams,
      datagrams.map(() => to),
    ),
    1000,
  );
  const arrivals = await atB.until(1000);
  assert.deepEqual(
    arrivals.map((arrival) => arrival.text).sort(),
    datagrams.map((datagram) => datagram.toString()).sort(),
  );
  assert.ok(atB.batchSizes.length < 1000, `${atB.batchSizes.length} wake-ups for 1000 datagrams`);
  assert.ok(Math.max(...atB.batchSizes) <= 64);
  assert.equal(a.stats().sendDropped, 0);
});

test('a taken port is refused with EADDRINUSE, and a socket mark with a clear error', (t) => {
  const a = bindWinsockUdp(0, new Receiver());
  t.after(() => a.close());
  assert.throws(() => bindWinsockUdp(a.port, new Receiver()), { code: 'EADDRINUSE', syscall: 'bind' });
  assert.throws(() => a.setMark(1), /fwmark/);
});
