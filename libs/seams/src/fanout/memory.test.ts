import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryFanoutBus } from './memory.js';
import type { FanoutMessage } from './seam.js';

/** Publishes here are never abandoned. */
const live = new AbortController().signal;

const message = (id: string): FanoutMessage => ({
  v: 1,
  raw: '{}',
  acceptedAt: 0,
  event: { id, pubkey: 'p', created_at: 0, kind: 1, tags: [], content: '', sig: 's' },
});

test('every handler receives each message; unsubscribe stops delivery', async () => {
  const bus = createMemoryFanoutBus();
  const a: string[] = [];
  const b: string[] = [];
  const offA = bus.subscribe((m) => a.push(m.event.id));
  bus.subscribe((m) => b.push(m.event.id));
  await bus.publish(message('1'), live);
  offA();
  await bus.publish(message('2'), live);
  assert.deepEqual(a, ['1']);
  assert.deepEqual(b, ['1', '2']);
});

test('a throwing handler does not stop the others and is reported', async () => {
  const errors: unknown[] = [];
  const bus = createMemoryFanoutBus((err) => errors.push(err));
  const got: string[] = [];
  bus.subscribe(() => {
    throw new Error('boom');
  });
  bus.subscribe((m) => got.push(m.event.id));
  await bus.publish(message('x'), live);
  assert.deepEqual(got, ['x']);
  assert.equal(errors.length, 1);
});
