// The timer queue: what is scheduled comes out due in order of time, moving
// earlier moves it, moving later leaves it (it comes out early, which the
// device then finds nothing due at), and removed items never come out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TimerQueue, type Scheduled } from '../../helper/src/engine/timer-queue.js';
import { VirtualNetwork, ipv4Packet } from './support/virtual-network.js';

interface Item extends Scheduled {
  readonly id: number;
}

const item = (id: number): Item => ({ id, scheduledAt: Infinity, heapIndex: -1 });

test('agrees with a model under schedule, remove and take', () => {
  const operation = fc.oneof(
    fc.record({ op: fc.constant('schedule' as const), id: fc.nat(19), at: fc.integer({ min: 0, max: 1000 }) }),
    fc.record({ op: fc.constant('remove' as const), id: fc.nat(19) }),
    fc.record({ op: fc.constant('take' as const), now: fc.integer({ min: 0, max: 1000 }) }),
  );
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 300 }), (operations) => {
      const queue = new TimerQueue<Item>();
      const items = Array.from({ length: 20 }, (_, id) => item(id));
      const model = new Map<number, number>();
      for (const step of operations) {
        if (step.op === 'schedule') {
          queue.schedule(items[step.id]!, step.at);
          model.set(step.id, Math.min(model.get(step.id) ?? Infinity, step.at));
        } else if (step.op === 'remove') {
          queue.remove(items[step.id]!);
          model.delete(step.id);
        } else {
          const taken = queue.takeDue(step.now);
          const earliest = Math.min(...model.values());
          if (earliest > step.now) assert.equal(taken, undefined);
          else {
            assert.ok(taken, 'something due comes out');
            assert.equal(model.get(taken.id), earliest, 'the earliest first');
            model.delete(taken.id);
          }
        }
        assert.equal(queue.size, model.size);
        assert.equal(queue.nextDeadline, model.size === 0 ? Infinity : Math.min(...model.values()));
      }
    }),
  );
});

test('a device with 10,000 idle peers queues none of them; a peer in a session, only that one', () => {
  const net = new VirtualNetwork();
  const server = net.addNode('server', '192.0.2.1:51820');
  const client = net.addNode('client', '192.0.2.2:51820');
  net.connect(client, server, ['10.0.0.1/32']);
  net.connect(server, client, ['10.0.0.2/32']);
  for (let i = 0; i < 10_000; i++) {
    const key = new Uint8Array(32);
    new DataView(key.buffer).setUint32(0, i + 1);
    server.device.addPeer(key);
  }
  assert.equal(server.device.timers.size, 0);
  assert.equal(server.device.nextDeadline(), Infinity);
  client.device.handleTunPacket(ipv4Packet('10.0.0.2', '10.0.0.1'));
  net.flush();
  assert.equal(server.received.length, 1);
  assert.equal(server.device.timers.size, 1, 'the peer that talked');
  net.advance(200_000);
  assert.equal(server.device.timers.size, 1, 'its key material is zeroed when its time comes, later');
  net.advance(400_000);
  assert.equal(server.device.timers.size, 0, 'and then nothing is queued');
});
