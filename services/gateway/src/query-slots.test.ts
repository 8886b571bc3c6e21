import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QuerySlots, QuerySlotTimeout, type ReleaseSlot } from './query-slots.js';

const never = () => new AbortController().signal;
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Acquires for `owner` and records, in `order`, when the slot is granted. */
function queue(slots: QuerySlots, owner: object, label: string, order: string[], signal = never()) {
  const p = slots.acquire(owner, signal).then((release) => {
    order.push(label);
    return release;
  });
  p.catch(() => undefined);
  return p;
}

test('a connection with 64 queued queries does not starve another connection: round robin', async () => {
  const slots = new QuerySlots({ capacity: 2, perOwner: 2, waitTimeoutMs: 60_000 });
  const flooder = {};
  const bystander = {};
  const order: string[] = [];
  const flood = Array.from({ length: 64 }, (_, i) => queue(slots, flooder, `f${i}`, order));
  const held = [await flood[0]!, await flood[1]!];
  assert.equal(slots.inUse, 2);
  // The bystander's single query arrives behind 62 of the flooder's.
  const mine = queue(slots, bystander, 'b', order);
  await tick();
  held[0]!();
  // The freed slot goes to the bystander, not to the flooder's next query.
  const releaseB = await mine;
  assert.deepEqual(order, ['f0', 'f1', 'b']);
  held[1]!();
  releaseB();
  await tick();
  assert.deepEqual(order.slice(0, 5), ['f0', 'f1', 'b', 'f2', 'f3']);
  for (const p of flood.slice(2)) (await p)();
  assert.equal(slots.inUse, 0);
  assert.equal(slots.waiting, 0);
});

test('turns alternate between waiting connections one query at a time', async () => {
  const slots = new QuerySlots({ capacity: 1, perOwner: 4, waitTimeoutMs: 60_000 });
  const [a, b, c] = [{}, {}, {}];
  const order: string[] = [];
  const first = await queue(slots, a, 'a0', order);
  // Each query ends as soon as it got its slot.
  const run = (owner: object, label: string) => queue(slots, owner, label, order).then((r) => r());
  const pending = [run(a, 'a1'), run(a, 'a2'), run(b, 'b1'), run(b, 'b2'), run(c, 'c1')];
  first();
  await Promise.all(pending);
  // Each owner's first waiting query before anyone's second (after a, which waited first).
  assert.deepEqual(order, ['a0', 'a1', 'b1', 'c1', 'a2', 'b2']);
});

test('one connection runs at most perOwner queries even when slots are free', async () => {
  const slots = new QuerySlots({ capacity: 10, perOwner: 3, waitTimeoutMs: 60_000 });
  const owner = {};
  const order: string[] = [];
  const all = Array.from({ length: 5 }, (_, i) => queue(slots, owner, `q${i}`, order));
  await tick();
  assert.equal(slots.heldBy(owner), 3);
  assert.equal(slots.waiting, 2);
  (await all[0]!)();
  await tick();
  assert.equal(slots.heldBy(owner), 3);
  assert.deepEqual(order, ['q0', 'q1', 'q2', 'q3']);
  // Another connection still gets a slot at once.
  const other = await slots.acquire({}, never());
  assert.equal(slots.inUse, 4);
  other();
  for (const p of all.slice(1)) (await p)();
  assert.equal(slots.inUse, 0);
});

test('an aborted waiter (CLOSE, replacement, disconnect) leaves the queue at once', async () => {
  const slots = new QuerySlots({ capacity: 1, perOwner: 1, waitTimeoutMs: 60_000 });
  const held = await slots.acquire({}, never());
  const abort = new AbortController();
  const reason = new Error('subscription closed');
  const waiting = slots.acquire({}, abort.signal);
  assert.equal(slots.waiting, 1);
  abort.abort(reason);
  await assert.rejects(waiting, (err) => err === reason);
  assert.equal(slots.waiting, 0);
  const order: string[] = [];
  const next = queue(slots, {}, 'next', order);
  held();
  (await next)();
  assert.deepEqual(order, ['next']);
  // An already aborted signal never queues.
  await assert.rejects(slots.acquire({}, AbortSignal.abort(reason)), (err) => err === reason);
  assert.equal(slots.inUse, 0);
});

test('waiting for slots held by others times out; waiting behind its own queries does not', async () => {
  const slots = new QuerySlots({ capacity: 2, perOwner: 1, waitTimeoutMs: 50 });
  const busy = await slots.acquire({}, never());
  const self = {};
  const own = await slots.acquire(self, never());
  // Behind its own running query: outlives the wait bound.
  const behindOwn = slots.acquire(self, never());
  // Behind other connections' queries (both slots taken): times out.
  const started = Date.now();
  await assert.rejects(slots.acquire({}, never()), QuerySlotTimeout);
  assert.ok(Date.now() - started >= 45);
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.equal(slots.waiting, 1, 'still waiting behind its own query');
  own();
  (await behindOwn)();
  busy();
  assert.equal(slots.inUse, 0);
});

test('release is idempotent', async () => {
  const slots = new QuerySlots({ capacity: 1, perOwner: 1, waitTimeoutMs: 1000 });
  const release: ReleaseSlot = await slots.acquire({}, never());
  release();
  release();
  assert.equal(slots.inUse, 0);
  const again = await slots.acquire({}, never());
  const waiting = slots.acquire({}, never());
  await tick();
  assert.equal(slots.inUse, 1, 'a double release does not free a slot held by someone else');
  again();
  (await waiting)();
});
