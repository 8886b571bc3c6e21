import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestBackend, TestStore } from './backends.js';
import { ALICE, BOB, ev, hex, ids } from './events.js';

const statuses = (outcomes: Array<{ status: string }>) => outcomes.map((o) => o.status);

/** Replaceable/addressable rules, concurrency, NIP-09, NIP-40 and privacy: on one backend. */
export function semanticsSuite(backend: TestBackend): void {
  describe(`event store semantics (${backend.name})`, () => {
    let t: TestStore;
    before(async () => {
      t = await backend.open(8);
    });
    after(async () => {
      await t?.dispose();
    });

    it('keeps only the newest replaceable event; ties go to the lowest id', async () => {
      const pk = hex(1, 'c1');
      const v1 = ev({ pubkey: pk, kind: 0, created_at: 10 });
      const v2 = ev({ pubkey: pk, kind: 0, created_at: 20 });
      assert.deepEqual(statuses(await t.store.save([v1, v2])), ['stored', 'stored']);
      assert.deepEqual(statuses(await t.store.save([v1])), ['replaced-older']);
      assert.deepEqual(await ids(t.store, { authors: [pk] }), [v2.event.id]);
      const tieHigh = ev({ pubkey: pk, kind: 0, created_at: 30, id: hex(0xc2) });
      const tieLow = ev({ pubkey: pk, kind: 0, created_at: 30, id: hex(0xc1) });
      assert.deepEqual(statuses(await t.store.save([tieHigh, tieLow])), ['stored', 'stored']);
      assert.deepEqual(statuses(await t.store.save([ev({ ...tieHigh.event, id: hex(0xc3) })])), [
        'replaced-older',
      ]);
      assert.deepEqual(await ids(t.store, { authors: [pk], kinds: [0] }), [tieLow.event.id]);
      assert.deepEqual(statuses(await t.store.save([tieLow])), ['duplicate']);
    });

    it('keeps the newest addressable event per d tag', async () => {
      const pk = hex(2, 'c2');
      const a1 = ev({ pubkey: pk, kind: 30023, created_at: 10, tags: [['d', 'one']] });
      const a2 = ev({ pubkey: pk, kind: 30023, created_at: 20, tags: [['d', 'one']] });
      const b1 = ev({ pubkey: pk, kind: 30023, created_at: 5, tags: [['d', 'two']] });
      const long1 = ev({ pubkey: pk, kind: 30023, created_at: 5, tags: [['d', 'L'.repeat(5000)]] });
      const long2 = ev({ pubkey: pk, kind: 30023, created_at: 6, tags: [['d', 'L'.repeat(5000)]] });
      const noD = ev({ pubkey: pk, kind: 30023, created_at: 7 });
      const other = ev({ pubkey: BOB, kind: 30023, created_at: 1, tags: [['d', 'one']] });
      assert.deepEqual(statuses(await t.store.save([a2, a1, b1, long1, long2, noD, other])), [
        'stored',
        'replaced-older',
        'stored',
        'stored',
        'stored',
        'stored',
        'stored',
      ]);
      const expected = [a2.event.id, noD.event.id, long2.event.id, b1.event.id];
      assert.deepEqual(await ids(t.store, { authors: [pk] }), expected);
      assert.deepEqual(await ids(t.store, { '#d': ['L'.repeat(5000)] }), [long2.event.id]);
    });

    it('lets exactly one of many concurrent versions win', async () => {
      for (const [kind, tags] of [
        [10002, []],
        [30000, [['d', 'race']]],
      ] as const) {
        const pk = hex(kind, 'c3');
        const versions = Array.from({ length: 20 }, (_, i) =>
          ev({
            pubkey: pk,
            kind,
            created_at: 100 + (i % 7),
            tags: tags.map((x) => [...x]),
            id: hex(i * 7919, `c3${kind}`),
          }),
        );
        const outcomes = await Promise.all(versions.map((v) => t.store.save([v])));
        assert.ok(outcomes.every(([o]) => o?.status === 'stored' || o?.status === 'replaced-older'));
        const winner = versions
          .map((v) => v.event)
          .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : 1))[0];
        assert.deepEqual(await ids(t.store, { authors: [pk] }), [winner?.id]);
        assert.equal(await t.store.count([{ authors: [pk] }]), 1);
      }
    });

    it('survives concurrent batches that share keys and ids in different orders', async () => {
      const pk = hex(9, 'c9');
      const ds = ['a', 'b', 'c', 'd'];
      const versions = Array.from({ length: 12 }, (_, b) =>
        ds.map((d, j) =>
          ev({
            pubkey: pk,
            kind: 30002,
            created_at: (b * 7 + j) % 5,
            tags: [['d', d]],
            id: hex(b * 16 + j, 'c9'),
          }),
        ),
      );
      const regular = Array.from({ length: 30 }, (_, i) =>
        ev({ pubkey: pk, created_at: 50, id: hex(i, 'c99') }),
      );
      const batches = versions.map((batch, b) => {
        const mixed = [...batch, ...regular.slice(b, b + 10)];
        return b % 2 ? mixed.reverse() : mixed;
      });
      const outcomes = (await Promise.all(batches.map((batch) => t.store.save(batch)))).flat();
      assert.ok(outcomes.every((o) => o.status !== 'invalid'));
      const storedRegular = batches
        .flat()
        .filter((e, i) => e.event.kind === 1 && outcomes[i]?.status === 'stored');
      assert.deepEqual(new Set(storedRegular.map((e) => e.event.id)).size, storedRegular.length);
      assert.equal(
        await t.store.count([{ authors: [pk], kinds: [1] }]),
        new Set(
          batches
            .flat()
            .filter((e) => e.event.kind === 1)
            .map((e) => e.event.id),
        ).size,
      );
      for (const d of ds) {
        const winner = versions
          .flat()
          .map((v) => v.event)
          .filter((e) => e.tags[0]?.[1] === d)
          .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : 1))[0];
        assert.deepEqual(await ids(t.store, { authors: [pk], '#d': [d] }), [winner?.id]);
      }
    });

    it('applies NIP-09 e deletions to the author’s own events only, and remembers them', async () => {
      const mine = ev({ pubkey: ALICE, created_at: 10, tags: [['t', 'del']] });
      const theirs = ev({ pubkey: BOB, created_at: 10, tags: [['t', 'del']] });
      const later = ev({ pubkey: ALICE, created_at: 11, tags: [['t', 'del']] });
      await t.store.save([mine, theirs]);
      const deletion = ev({
        pubkey: ALICE,
        kind: 5,
        created_at: 20,
        tags: [
          ['e', mine.event.id],
          ['e', theirs.event.id],
          ['e', later.event.id],
        ],
      });
      assert.deepEqual(statuses(await t.store.save([deletion])), ['stored']);
      assert.deepEqual(await ids(t.store, { '#t': ['del'] }), [theirs.event.id]);
      assert.deepEqual(statuses(await t.store.save([mine, later, theirs])), [
        'deleted',
        'deleted',
        'duplicate',
      ]);
      assert.deepEqual(await ids(t.store, { kinds: [5], authors: [ALICE] }), [deletion.event.id]);
    });

    it('honours the order of a deletion inside a batch', async () => {
      const pk = hex(4, 'c4');
      const before = ev({ pubkey: pk, created_at: 1 });
      const target = ev({ pubkey: pk, created_at: 2 });
      const deletion = ev({
        pubkey: pk,
        kind: 5,
        created_at: 3,
        tags: [
          ['e', before.event.id],
          ['e', target.event.id],
        ],
      });
      assert.deepEqual(statuses(await t.store.save([before, deletion, target])), [
        'stored',
        'stored',
        'deleted',
      ]);
      assert.deepEqual(await ids(t.store, { authors: [pk] }), [deletion.event.id]);
    });

    it('applies NIP-09 a deletions up to their created_at', async () => {
      const pk = hex(5, 'c5');
      const addr = (created_at: number, d = 'x') =>
        ev({ pubkey: pk, kind: 30001, created_at, tags: [['d', d]] });
      const old = addr(10);
      const keep = addr(10, 'y');
      const profile = ev({ pubkey: pk, kind: 0, created_at: 10 });
      await t.store.save([old, keep, profile]);
      const foreign = ev({ pubkey: BOB, kind: 5, created_at: 50, tags: [['a', `30001:${pk}:y`]] });
      const deletion = ev({
        pubkey: pk,
        kind: 5,
        created_at: 20,
        tags: [
          ['a', `30001:${pk}:x`],
          ['a', `0:${pk}:`],
        ],
      });
      assert.deepEqual(statuses(await t.store.save([foreign, deletion])), ['stored', 'stored']);
      assert.deepEqual(await ids(t.store, { authors: [pk], kinds: [30001, 0] }), [keep.event.id]);
      assert.deepEqual(
        statuses(await t.store.save([addr(15), addr(20), ev({ pubkey: pk, kind: 0, created_at: 20 })])),
        ['deleted', 'deleted', 'deleted'],
      );
      const newer = addr(21);
      assert.deepEqual(statuses(await t.store.save([newer])), ['stored']);
      assert.deepEqual(await ids(t.store, { authors: [pk], '#d': ['x'] }), [newer.event.id]);
    });

    it('gives deletion requests against deletion requests no effect', async () => {
      const pk = hex(6, 'c6');
      const first = ev({ pubkey: pk, kind: 5, created_at: 1, tags: [['e', hex(0xdead)]] });
      const second = ev({ pubkey: pk, kind: 5, created_at: 2, tags: [['e', first.event.id]] });
      const unseen = ev({ pubkey: pk, kind: 5, created_at: 3, tags: [['e', hex(0xbeef)]] });
      const third = ev({ pubkey: pk, kind: 5, created_at: 4, tags: [['e', unseen.event.id]] });
      assert.deepEqual(statuses(await t.store.save([first, second, third, unseen])), [
        'stored',
        'stored',
        'stored',
        'stored',
      ]);
      assert.equal(await t.store.count([{ authors: [pk], kinds: [5] }]), 4);
    });

    it('never returns expired events and purges them', async () => {
      const pk = hex(7, 'c7');
      const now = 1_800_000_000;
      const expired = ev({
        pubkey: pk,
        created_at: 1,
        tags: [
          ['expiration', String(now - 1)],
          ['t', 'x'],
        ],
      });
      const atNow = ev({ pubkey: pk, created_at: 2, tags: [['expiration', String(now)]] });
      const live = ev({
        pubkey: pk,
        created_at: 3,
        tags: [
          ['expiration', String(now + 100)],
          ['t', 'x'],
        ],
      });
      await t.store.save([expired, atNow, live]);
      assert.deepEqual(await ids(t.store, { authors: [pk] }, { now }), [live.event.id]);
      assert.deepEqual(await ids(t.store, { '#t': ['x'] }, { now }), [live.event.id]);
      assert.deepEqual(await ids(t.store, { ids: [expired.event.id] }, { now }), []);
      assert.equal(await t.store.count([{ authors: [pk] }], { now }), 1);
      assert.equal(await t.store.purgeExpired(now), 2);
      assert.equal(await t.store.count([{ authors: [pk] }], { now: 0 }), 1);
    });

    it('shows privileged kinds only to their author and p-tagged viewers', async () => {
      const pk = hex(8, 'c8');
      const dm = ev({ pubkey: pk, kind: 4, tags: [['p', BOB]] });
      const note = ev({ pubkey: pk, kind: 1 });
      await t.store.save([dm, note]);
      const privilegedKinds = [4, 1059];
      const as = (pubkeys: string[]) => ({ viewer: { pubkeys, privilegedKinds } });
      assert.deepEqual(await ids(t.store, { authors: [pk] }, as([])), [note.event.id]);
      assert.deepEqual(await ids(t.store, { authors: [pk] }, as([ALICE])), [note.event.id]);
      assert.equal((await ids(t.store, { authors: [pk] }, as([BOB]))).length, 2);
      assert.equal((await ids(t.store, { authors: [pk] }, as([pk]))).length, 2);
      assert.equal(await t.store.count([{ authors: [pk] }], as([ALICE])), 1);
      assert.equal(await t.store.count([{ authors: [pk] }], as([BOB])), 2);
    });
  });
}
