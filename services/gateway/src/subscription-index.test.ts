import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Filter, matchFilters, type NostrEvent } from '@nrelay/protocol';
import fc from 'fast-check';
import { SubscriptionIndex } from './subscription-index.js';

const IDS = ['a', 'b', 'c', 'd'].map((c) => c.repeat(64));
const AUTHORS = ['1', '2', '3'].map((c) => c.repeat(64));
const LETTERS = ['e', 'p', 't'] as const;
const VALUES = ['x', 'y', 'z'];

const subset = <T>(pool: readonly T[]) => fc.subarray([...pool]);

const filterArb: fc.Arbitrary<Filter> = fc
  .record(
    {
      ids: subset(IDS),
      authors: subset(AUTHORS),
      kinds: subset([0, 1, 2, 3]),
      since: fc.integer({ min: 0, max: 10 }),
      until: fc.integer({ min: 0, max: 10 }),
      '#e': subset(VALUES),
      '#p': subset(VALUES),
      '#t': subset(VALUES),
    },
    { requiredKeys: [] },
  )
  .map((f) => f as Filter);

const tagArb = fc.oneof(
  fc.tuple(fc.constantFrom(...LETTERS), fc.constantFrom(...VALUES)).map(([l, v]) => [l, v]),
  fc
    .tuple(fc.constantFrom(...LETTERS), fc.constantFrom(...VALUES), fc.string())
    .map(([l, v, r]) => [l, v, r]),
  fc.constantFrom<string[][]>(['e'], ['ee', 'x'], ['x', 'y']),
);

const eventArb: fc.Arbitrary<NostrEvent> = fc.record({
  id: fc.constantFrom(...IDS),
  pubkey: fc.constantFrom(...AUTHORS),
  created_at: fc.integer({ min: 0, max: 10 }),
  kind: fc.integer({ min: 0, max: 3 }),
  tags: fc.array(tagArb, { maxLength: 4 }),
  content: fc.constant(''),
  sig: fc.constant('0'.repeat(128)),
});

type Command =
  | { op: 'add'; conn: number; sub: string; filters: Filter[] }
  | { op: 'remove'; conn: number; sub: string }
  | { op: 'removeConnection'; conn: number };

const connArb = fc.integer({ min: 0, max: 2 });
const subArb = fc.constantFrom('s0', 's1', 's2');
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('add' as const),
      conn: connArb,
      sub: subArb,
      filters: fc.array(filterArb, { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), conn: connArb, sub: subArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('removeConnection' as const), conn: connArb }) },
);

test('match agrees with naive matchFilters over every subscription (randomized adds, removes, events)', () => {
  fc.assert(
    fc.property(
      fc.array(commandArb, { maxLength: 25 }),
      fc.array(eventArb, { minLength: 1, maxLength: 8 }),
      (commands, events) => {
        const index = new SubscriptionIndex<number>();
        const model = new Map<string, { conn: number; sub: string; filters: Filter[] }>();
        for (const c of commands) {
          if (c.op === 'add') {
            index.add(c.conn, c.sub, c.filters);
            model.set(`${c.conn}/${c.sub}`, c);
          } else if (c.op === 'remove') {
            assert.equal(index.remove(c.conn, c.sub), model.delete(`${c.conn}/${c.sub}`));
          } else {
            index.removeConnection(c.conn);
            for (const [key, v] of model) if (v.conn === c.conn) model.delete(key);
          }
        }
        assert.equal(index.size, model.size);
        for (const conn of [0, 1, 2]) {
          for (const sub of ['s0', 's1', 's2'])
            assert.equal(index.has(conn, sub), model.has(`${conn}/${sub}`));
        }
        for (const event of events) {
          const got = index.match(event).map((m) => `${m.connection}/${m.subId}`);
          assert.equal(new Set(got).size, got.length, 'each subscription at most once per event');
          const want = [...model.entries()].filter(([, v]) => matchFilters(v.filters, event)).map(([k]) => k);
          assert.deepEqual(got.sort(), want.sort());
        }
      },
    ),
    { numRuns: 500 },
  );
});

const event = (over: Partial<NostrEvent>): NostrEvent => ({
  id: IDS[0]!,
  pubkey: AUTHORS[0]!,
  created_at: 5,
  kind: 1,
  tags: [],
  content: '',
  sig: '',
  ...over,
});

test('a subscription matched by several filters and tag values is reported once', () => {
  const index = new SubscriptionIndex<string>();
  index.add('c', 's', [{ '#e': ['x', 'y'] }, { kinds: [1] }, {}]);
  const matches = index.match(
    event({
      tags: [
        ['e', 'x'],
        ['e', 'y'],
      ],
    }),
  );
  assert.deepEqual(
    matches.map((m) => [m.connection, m.subId]),
    [['c', 's']],
  );
});

test('add replaces, remove and removeConnection forget, size follows', () => {
  const index = new SubscriptionIndex<string>();
  index.add('c', 's', [{ kinds: [1] }]);
  index.add('c', 's', [{ kinds: [2] }]);
  assert.equal(index.size, 1);
  assert.equal(index.match(event({ kind: 1 })).length, 0);
  assert.equal(index.match(event({ kind: 2 })).length, 1);
  index.add('c', 't', [{ authors: [AUTHORS[0]!] }]);
  index.add('d', 's', [{ ids: [IDS[0]!] }]);
  assert.equal(index.size, 3);
  assert.equal(index.remove('c', 'missing'), false);
  index.removeConnection('c');
  assert.equal(index.size, 1);
  assert.equal(index.has('d', 's'), true);
  assert.deepEqual(
    index.match(event({ kind: 2 })).map((m) => m.connection),
    ['d'],
  );
});
