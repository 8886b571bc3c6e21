import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HotWindow } from './window.js';
import { ALICE, ANON, BOB, emptyHotWindow, ev, feed, hex, idsOf, NOW, OPTIONS } from './window-fixtures.js';

const all = (window: HotWindow) => idsOf(window.answer({}, ANON, NOW));

describe('HotWindow: state', () => {
  it('is cold until warmed: answers nothing and ignores events', () => {
    const window = new HotWindow(OPTIONS);
    assert.equal(window.state, 'cold');
    assert.equal(window.coldReason, 'not warmed yet');
    assert.deepEqual(feed(window, ev()), ['cold']);
    assert.equal(window.answer({}, ANON, NOW), undefined);
    assert.equal(window.floor, Number.POSITIVE_INFINITY);
  });

  it('markCold drops everything and answers nothing until warmed again', () => {
    const window = emptyHotWindow();
    const a = ev();
    feed(window, a);
    assert.equal(window.size, 1);
    assert.ok(window.bytes > 0);
    window.markCold('fanout gap');
    assert.deepEqual(
      [window.state, window.coldReason, window.size, window.bytes],
      ['cold', 'fanout gap', 0, 0],
    );
    assert.equal(window.answer({ ids: [a.event.id] }, ANON, NOW), undefined);
    window.warm([a], { complete: true });
    assert.equal(window.state, 'hot');
    assert.deepEqual(all(window), [a.event.id]);
  });
});

describe('HotWindow: the store write rules', () => {
  it('never keeps an ephemeral event and keeps an id once', () => {
    const window = emptyHotWindow();
    const note = ev();
    assert.deepEqual(feed(window, ev({ kind: 20001 }), note, note), ['ephemeral', 'kept', 'duplicate']);
    assert.deepEqual(all(window), [note.event.id]);
  });

  it('replaceable: the newest wins, an older one arriving later is dropped, a tie goes to the lowest id', () => {
    const window = emptyHotWindow();
    const v1 = ev({ kind: 0, created_at: 10 });
    const v2 = ev({ kind: 0, created_at: 20 });
    assert.deepEqual(feed(window, v1, v2, ev({ kind: 0, created_at: 15 })), [
      'kept',
      'kept',
      'replaced-older',
    ]);
    assert.deepEqual(all(window), [v2.event.id]);
    const low = ev({ kind: 0, created_at: 30, id: hex(1) });
    const high = ev({ kind: 0, created_at: 30, id: hex(2) });
    assert.deepEqual(feed(window, high, low), ['kept', 'kept']);
    assert.deepEqual(all(window), [low.event.id]);
    assert.deepEqual(feed(window, ev({ kind: 0, created_at: 30, id: hex(3) })), ['replaced-older']);
    assert.deepEqual(feed(window, ev({ kind: 0, created_at: 30, pubkey: BOB })), ['kept']);
    assert.equal(window.size, 2);
  });

  it('addressable: one version per d tag (a missing d tag is the empty one)', () => {
    const window = emptyHotWindow();
    const x1 = ev({ kind: 30023, created_at: 10, tags: [['d', 'x']] });
    const x2 = ev({ kind: 30023, created_at: 11, tags: [['d', 'x']] });
    const y = ev({ kind: 30023, created_at: 10, tags: [['d', 'y']] });
    const none = ev({ kind: 30023, created_at: 10 });
    const empty = ev({ kind: 30023, created_at: 12, tags: [['d', '']] });
    assert.deepEqual(feed(window, x1, y, none, x2, empty), ['kept', 'kept', 'kept', 'kept', 'kept']);
    assert.deepEqual(all(window), [empty.event.id, x2.event.id, y.event.id]);
  });

  it("deletion by e: removes the author's own targets, never another author's or a request", () => {
    const window = emptyHotWindow();
    const own = ev({ created_at: 10 });
    const other = ev({ created_at: 10, pubkey: BOB });
    const request = ev({ kind: 5, created_at: 11, tags: [['e', hex(0xdead)]] });
    feed(window, own, other, request);
    const del = ev({
      kind: 5,
      created_at: 12,
      tags: [
        ['e', own.event.id],
        ['e', other.event.id],
        ['e', request.event.id],
      ],
    });
    assert.deepEqual(feed(window, del), ['kept']);
    assert.deepEqual(all(window), [del.event.id, request.event.id, other.event.id]);
  });

  it('deletion by e: the deleted event arriving later is refused, a request never is', () => {
    const window = emptyHotWindow();
    const late = ev({ created_at: 5 });
    const lateRequest = ev({ kind: 5, created_at: 5 });
    const del = ev({
      kind: 5,
      created_at: 12,
      tags: [
        ['e', late.event.id],
        ['e', lateRequest.event.id],
      ],
    });
    assert.deepEqual(feed(window, del, late, lateRequest), ['kept', 'deleted', 'kept']);
    const sameIdOtherAuthor = ev({ id: late.event.id, pubkey: BOB, created_at: 5 });
    assert.deepEqual(feed(window, sameIdOtherAuthor), ['kept']);
  });

  it('deletion by a: removes the versions up to its created_at and refuses them later', () => {
    const window = emptyHotWindow();
    const article = ev({ kind: 30023, created_at: 10, tags: [['d', 'x']] });
    const profile = ev({ kind: 0, created_at: 10 });
    const bobs = ev({ kind: 0, created_at: 10, pubkey: BOB });
    feed(window, article, profile, bobs);
    const del = ev({
      kind: 5,
      created_at: 20,
      tags: [
        ['a', `30023:${ALICE}:x`],
        ['a', `0:${ALICE}:ignored`],
        ['a', `0:${BOB}`],
      ],
    });
    assert.deepEqual(feed(window, del), ['kept']);
    assert.deepEqual(all(window), [del.event.id, bobs.event.id]);
    const older = ev({ kind: 30023, created_at: 20, tags: [['d', 'x']] });
    const newer = ev({ kind: 30023, created_at: 21, tags: [['d', 'x']] });
    assert.deepEqual(feed(window, older, newer, ev({ kind: 0, created_at: 19 })), [
      'deleted',
      'kept',
      'deleted',
    ]);
    const kept = ev({ kind: 30023, created_at: 30, tags: [['d', 'x']] });
    const request = ev({ kind: 5, created_at: 25, tags: [['a', `30023:${ALICE}:x`]] });
    assert.deepEqual(feed(window, kept, request), ['kept', 'kept']);
    assert.ok(all(window)?.includes(kept.event.id), 'a version newer than the request stays');
  });

  it('inserts a backdated event in store order (created_at desc, then id asc)', () => {
    const window = emptyHotWindow();
    const a = ev({ created_at: 30 });
    const b = ev({ created_at: 10 });
    const c = ev({ created_at: 20, id: hex(9) });
    const d = ev({ created_at: 20, id: hex(3) });
    feed(window, a, b, c, d);
    assert.deepEqual(
      all(window),
      [a, d, c, b].map((e) => e.event.id),
    );
  });
});

describe('HotWindow: warm-up and the floor', () => {
  it('a complete warm-up holds the whole store (floor -Infinity)', () => {
    const window = new HotWindow(OPTIONS);
    const events = [ev({ created_at: 3 }), ev({ created_at: 1 }), ev({ kind: 20001 })];
    window.warm(events, { complete: true });
    assert.equal(window.floor, Number.NEGATIVE_INFINITY);
    assert.deepEqual(all(window), [events[0]?.event.id, events[1]?.event.id]);
  });

  it('an incomplete warm-up drops its oldest created_at group and sets the floor above it', () => {
    const window = new HotWindow(OPTIONS);
    const newest = ev({ created_at: 5 });
    const cut = [ev({ created_at: 3 }), ev({ created_at: 3 })];
    window.warm([newest, ...cut], { complete: false });
    assert.equal(window.floor, 4);
    assert.equal(window.size, 1);
    assert.deepEqual(feed(window, ev({ created_at: 3 }), ev({ created_at: 4 })), ['below-floor', 'kept']);
  });

  it('a warm-up over the budget keeps the newest whole groups', () => {
    const events = [5, 4, 4, 3, 2].map((t) => ev({ created_at: t, content: 'x'.repeat(100) }));
    const probe = new HotWindow(OPTIONS);
    probe.warm(events.slice(0, 1), { complete: true });
    const window = new HotWindow({ ...OPTIONS, budgetBytes: probe.bytes * 2 });
    window.warm(events, { complete: true });
    assert.equal(window.floor, 5, 'the group of 4 did not fit whole');
    assert.equal(window.size, 1);
    assert.ok(window.bytes <= probe.bytes * 2);
  });

  it('a deletion request below the floor is not kept but still removes its targets', () => {
    const window = new HotWindow(OPTIONS);
    const target = ev({ created_at: 10 });
    window.warm([target, ev({ created_at: 8 })], { complete: false });
    assert.equal(window.floor, 9);
    const del = ev({ kind: 5, created_at: 2, tags: [['e', target.event.id]] });
    assert.deepEqual(feed(window, del), ['below-floor']);
    assert.equal(window.size, 0);
  });

  it('budget eviction removes whole created_at groups from the oldest end and raises the floor', () => {
    const make = (t: number) => ev({ created_at: t, content: 'y'.repeat(200) });
    const probe = emptyHotWindow();
    feed(probe, make(1));
    const budget = probe.bytes * 4;
    const window = emptyHotWindow({ budgetBytes: budget });
    const events = [1, 1, 2, 3, 4, 5, 6].map(make);
    const outcomes = events.map((e) => {
      const outcome = window.add(e.event, e.raw);
      assert.ok(window.bytes <= budget, 'never above the budget');
      return outcome;
    });
    assert.ok(outcomes.every((o) => o === 'kept'));
    assert.equal(window.floor, 3, 'both events of second 1, then second 2');
    assert.equal(window.answer({}, ANON, NOW), undefined, 'no longer complete: 4 events, default limit 100');
    assert.deepEqual(
      idsOf(window.answer({ since: 3 }, ANON, NOW)),
      [6, 5, 4, 3].map((t) => events.find((e) => e.event.created_at === t)?.event.id),
    );
    assert.deepEqual(feed(window, make(2)), ['below-floor']);
  });
});

describe('HotWindow: deletions below the floor', () => {
  it("refuses a target arriving after its backdated deletion, across markCold, so the feed can't re-add it", () => {
    const window = new HotWindow(OPTIONS);
    window.warm([ev({ created_at: 500 })], { complete: false });
    assert.equal(window.floor, 501);
    const target = ev({ created_at: 900 });
    // Backdated below the floor: not kept, so no tombstone of its own is held.
    const deletion = ev({ kind: 5, created_at: 100, tags: [['e', target.event.id]] });
    assert.deepEqual(feed(window, deletion), ['below-floor']);
    // Reordered between two ingest workers: the target the store already deleted arrives now.
    assert.deepEqual(feed(window, target), ['deleted']);
    window.markCold('an access-control change');
    window.warm([], { complete: true });
    assert.deepEqual(feed(window, target), ['deleted']);
    // Another author's event with that id is not the author's to delete.
    assert.deepEqual(feed(window, ev({ id: target.event.id, pubkey: BOB, created_at: 900 })), ['kept']);
  });
});
