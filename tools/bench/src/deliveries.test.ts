import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeliveryLedger } from './deliveries.js';

const events = [
  { id: 'a1', author: 0 },
  { id: 'a2', author: 0 },
  { id: 'b1', author: 1 },
];

test('a subscriber to all authors expects every accepted event once', () => {
  const ledger = new DeliveryLedger(events);
  const deliver = ledger.subscribe(-1);
  for (const e of events) ledger.sentAt.set(e.id, 100);
  deliver('a1', 105);
  deliver('a2', 110);
  deliver('a2', 111);
  const accepted = new Set(['a1', 'a2', 'b1']);
  assert.equal(ledger.expected(accepted), 3);
  assert.deepEqual(ledger.tally(accepted), {
    expected: 3,
    delivered: 2,
    missing: 1,
    subscribersMissing: 1,
    duplicates: 1,
    unexpected: 0,
  });
  assert.deepEqual([...ledger.delays.values()], [5, 10]);
  assert.equal(ledger.lastDelivery, 110);
});

test('an author subscriber must get only its author, and refused or unknown events are unexpected', () => {
  const ledger = new DeliveryLedger(events);
  const follower0 = ledger.subscribe(0);
  const follower1 = ledger.subscribe(1);
  for (const e of events) ledger.sentAt.set(e.id, 0);
  follower0('a1', 1);
  follower0('a2', 1);
  follower0('b1', 1);
  follower0('zz', 1);
  follower1('b1', 2);
  // a2 was refused by the relay (OK false), yet delivered: that is unexpected too.
  const accepted = new Set(['a1', 'b1']);
  const t = ledger.tally(accepted);
  assert.equal(t.expected, 2);
  assert.equal(t.missing, 0);
  assert.equal(t.unexpected, 3);
  assert.equal(t.duplicates, 0);
});
