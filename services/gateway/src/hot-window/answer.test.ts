import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HotWindow } from './window.js';
import {
  ALICE,
  ANON,
  BOB,
  CAROL,
  emptyHotWindow,
  ev,
  feed,
  hex,
  idsOf,
  NOW,
  OPTIONS,
} from './window-fixtures.js';

describe('HotWindow.answer: what the store would return', () => {
  it('applies NIP-40 expiry at answer time (expires_at > now is still visible)', () => {
    const window = emptyHotWindow();
    const soon = ev({ created_at: 3, tags: [['expiration', String(NOW + 10)]] });
    const now = ev({ created_at: 2, tags: [['expiration', String(NOW)]] });
    const never = ev({ created_at: 1, tags: [['expiration', 'not a number']] });
    feed(window, soon, now, never);
    assert.deepEqual(idsOf(window.answer({}, ANON, NOW)), [soon.event.id, never.event.id]);
    assert.deepEqual(idsOf(window.answer({}, ANON, NOW + 10)), [never.event.id]);
    assert.deepEqual(
      idsOf(window.answer({}, ANON, NOW - 1)),
      [soon, now, never].map((e) => e.event.id),
    );
  });

  it('shows a privileged kind only to its author and the pubkeys it p-tags', () => {
    const window = emptyHotWindow();
    const dm = ev({ kind: 4, pubkey: ALICE, created_at: 2, tags: [['p', BOB]] });
    const note = ev({ kind: 1, pubkey: ALICE, created_at: 1, tags: [['p', BOB]] });
    feed(window, dm, note);
    const seen = (pubkeys: string[]) => idsOf(window.answer({}, { pubkeys }, NOW));
    assert.deepEqual(seen([]), [note.event.id]);
    assert.deepEqual(seen([ALICE]), [dm.event.id, note.event.id]);
    assert.deepEqual(seen([BOB]), [dm.event.id, note.event.id]);
    assert.deepEqual(seen([CAROL]), [note.event.id]);
    assert.deepEqual(seen([CAROL, BOB]), [dm.event.id, note.event.id]);
    assert.deepEqual(idsOf(window.answer({ kinds: [4] }, ANON, NOW)), []);
    const open = emptyHotWindow({ privilegedKinds: [] });
    feed(open, dm);
    assert.deepEqual(idsOf(open.answer({}, ANON, NOW)), [dm.event.id], 'no privileged kinds: no restriction');
  });

  it('matches the filter and returns the raw text verbatim, in store order across lists', () => {
    const window = emptyHotWindow();
    const events = [
      ev({
        pubkey: ALICE,
        created_at: 5,
        tags: [
          ['t', 'a'],
          ['t', 'b'],
        ],
      }),
      ev({ pubkey: BOB, created_at: 5, id: hex(1), tags: [['t', 'b']] }),
      ev({ pubkey: CAROL, created_at: 4, tags: [['t', 'c']] }),
      ev({ pubkey: BOB, created_at: 6, kind: 7, tags: [['T', 'a']] }),
    ];
    feed(window, ...events);
    const [a, b, c, d] = events.map((e) => e.event.id);
    assert.deepEqual(idsOf(window.answer({ '#t': ['a', 'b'] }, ANON, NOW)), [b, a], 'each once');
    assert.deepEqual(idsOf(window.answer({ authors: [ALICE, BOB, BOB] }, ANON, NOW)), [d, b, a]);
    assert.deepEqual(idsOf(window.answer({ kinds: [1], until: 4 }, ANON, NOW)), [c]);
    assert.deepEqual(idsOf(window.answer({ kinds: [1, 7], since: 5, limit: 2 }, ANON, NOW)), [d, b]);
    assert.deepEqual(idsOf(window.answer({ '#T': ['a'], authors: [BOB] }, ANON, NOW)), [d]);
    assert.deepEqual(window.answer({ ids: [c as string] }, ANON, NOW), [events[2]?.raw]);
  });

  it('cuts at the effective limit: min(limit ?? default, max)', () => {
    const window = emptyHotWindow({ defaultLimit: 2, maxLimit: 3 });
    feed(window, ...[1, 2, 3, 4, 5].map((t) => ev({ created_at: t })));
    assert.equal(window.answer({}, ANON, NOW)?.length, 2);
    assert.equal(window.answer({ limit: 10 }, ANON, NOW)?.length, 3);
    assert.equal(window.answer({ limit: 1 }, ANON, NOW)?.length, 1);
    assert.deepEqual(window.answer({ limit: 0 }, ANON, NOW), []);
  });

  it('answers the filters that match nothing in the store with nothing', () => {
    const window = new HotWindow(OPTIONS);
    window.warm([ev({ created_at: 10, tags: [['tt', 'x']] }), ev({ created_at: 9 })], { complete: false });
    for (const filter of [
      { '#tt': ['x'] },
      { ids: [] },
      { authors: [] },
      { kinds: [] },
      { since: 5, until: 4 },
    ]) {
      assert.deepEqual(window.answer(filter, ANON, NOW), [], JSON.stringify(filter));
    }
  });
});

describe('HotWindow.answer: when it may answer', () => {
  // Holds every stored event with created_at ≥ 10: two notes by Alice at 10 and 11, one by Bob at 12.
  function partial(): { window: HotWindow; ids: string[] } {
    const events = [
      ev({ pubkey: BOB, created_at: 12 }),
      ev({ created_at: 11 }),
      ev({ created_at: 10 }),
      ev({ created_at: 9 }),
    ];
    const window = new HotWindow(OPTIONS);
    window.warm(events, { complete: false });
    assert.equal(window.floor, 10);
    return { window, ids: events.map((e) => e.event.id) };
  }

  it('answers when the limit is filled inside the window', () => {
    const { window, ids } = partial();
    assert.deepEqual(idsOf(window.answer({ authors: [ALICE], limit: 2 }, ANON, NOW)), [ids[1], ids[2]]);
    assert.equal(window.answer({ authors: [ALICE], limit: 3 }, ANON, NOW), undefined);
    assert.equal(window.answer({ authors: [CAROL] }, ANON, NOW), undefined, 'Carol may have older events');
  });

  it('answers when since is at or above the floor', () => {
    const { window, ids } = partial();
    assert.deepEqual(idsOf(window.answer({ authors: [ALICE], since: 10 }, ANON, NOW)), [ids[1], ids[2]]);
    assert.deepEqual(idsOf(window.answer({ authors: [CAROL], since: 11 }, ANON, NOW)), []);
    assert.equal(window.answer({ authors: [ALICE], since: 9 }, ANON, NOW), undefined);
    assert.equal(window.answer({ until: 9, limit: 1 }, ANON, NOW), undefined);
  });

  it('answers an ids filter when it holds every id', () => {
    const { window, ids } = partial();
    const [bob, alice11, , below] = ids as [string, string, string, string];
    assert.deepEqual(idsOf(window.answer({ ids: [alice11, bob] }, ANON, NOW)), [bob, alice11]);
    assert.deepEqual(idsOf(window.answer({ ids: [alice11, bob], kinds: [7] }, ANON, NOW)), []);
    assert.equal(window.answer({ ids: [alice11, below] }, ANON, NOW), undefined);
  });

  it('never answers a search, and a complete window answers everything else', () => {
    const window = emptyHotWindow();
    feed(window, ev({ content: 'hello' }));
    assert.equal(window.answer({ search: 'hello' }, ANON, NOW), undefined);
    assert.deepEqual(window.answer({ authors: [CAROL] }, ANON, NOW), []);
    assert.equal(window.answer({ kinds: [1] }, ANON, NOW)?.length, 1);
  });
});
