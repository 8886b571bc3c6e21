import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { makeEntry } from './contents.js';
import { EntryList, newestFirst, storeFirst, type WindowEntry } from './entry-list.js';
import { ev, hex } from './window-fixtures.js';

const entry = (createdAt: number, id: number): WindowEntry =>
  makeEntry(ev({ created_at: createdAt, id: hex(id) }));

const storeOrder = (a: WindowEntry, b: WindowEntry) => (storeFirst(a, b) ? -1 : storeFirst(b, a) ? 1 : 0);

/** An operation on three lists: insert an entry into some of them, or remove a live one. */
const opArb = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant('insert' as const),
      createdAt: fc.integer({ min: 0, max: 20 }),
      lists: fc.subarray([0, 1, 2], { minLength: 1 }),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }), weight: 2 },
);

describe('EntryList and newestFirst', () => {
  it('walk every live entry newest first, each once, from until down, whatever the order of arrival', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 300 }),
        fc.option(fc.integer({ min: 0, max: 20 })),
        (ops, until) => {
          const lists = [new EntryList(), new EntryList(), new EntryList()];
          const memberOf = new Map<WindowEntry, number[]>();
          let nextId = 1;
          for (const op of ops) {
            if (op.op === 'insert') {
              const e = entry(op.createdAt, nextId++);
              memberOf.set(e, op.lists);
              for (const i of op.lists) lists[i]?.insert(e);
              continue;
            }
            const live = [...memberOf.keys()];
            const victim = live[op.pick % Math.max(1, live.length)];
            if (victim === undefined) continue;
            victim.alive = false;
            for (const i of memberOf.get(victim) ?? []) lists[i]?.noteRemoved();
            memberOf.delete(victim);
          }
          const expected = [...memberOf.keys()]
            .filter((e) => until === null || e.createdAt <= until)
            .sort(storeOrder)
            .map((e) => e.id);
          const got = [...newestFirst(lists, until ?? undefined)].map((e) => e.id);
          assert.deepEqual(got, expected);
          for (const [i, list] of lists.entries()) {
            const mine = [...memberOf].filter(([, at]) => at.includes(i)).map(([e]) => e);
            assert.equal(list.live, mine.length);
            assert.equal(list.oldest()?.id, mine.sort(storeOrder).at(-1)?.id);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('clear empties a list', () => {
    const list = new EntryList();
    list.insert(entry(1, 1));
    list.clear();
    assert.equal(list.live, 0);
    assert.equal(list.oldest(), undefined);
    assert.deepEqual([...newestFirst([list], undefined)], []);
  });
});

describe('EntryList: a burst of one second', () => {
  it('is appended in random id order and read back in store order', () => {
    const list = new EntryList();
    const ids = Array.from({ length: 500 }, (_, i) => 1000 + ((i * 7919) % 500));
    const older = entry(5, 9999);
    list.insert(older);
    for (const id of ids) list.insert(entry(10, id));
    // A backdated entry and a newer second after the burst: both placed in order.
    list.insert(entry(7, 1));
    list.insert(entry(11, 2));
    const walked = [...newestFirst([list], undefined)].map((e) => `${e.createdAt}:${e.id}`);
    const burst = [...ids].sort((a, b) => a - b).map((id) => `10:${hex(id)}`);
    assert.deepEqual(walked, [`11:${hex(2)}`, ...burst, `7:${hex(1)}`, `5:${hex(9999)}`]);
    assert.equal(list.oldest(), older);
    assert.equal(list.live, 503);
  });
});
