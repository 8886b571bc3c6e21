import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NostrEvent, RawEvent } from '@nrelay/protocol';
import { seededRandom } from '@nrelay/protocol/testing';
import { bulkSaveEvents } from '../bulk-save.js';
import type { SaveStatus } from '../types.js';
import type { TestBackend, TestStore } from './backends.js';
import { dataset } from './differential.js';
import { ALICE, BOB, collect, ev, hex } from './events.js';
import { StoreModel } from './model.js';

const raw = (event: NostrEvent): RawEvent => ({ event, raw: JSON.stringify(event) });

/**
 * `bulkSaveEvents` against the model and against `saveEvents` on a twin store: the same
 * outcome for every event of random streams (duplicates in a batch and against stored rows,
 * NIP-09 and NIP-62 tombstones, replaceable versions) and the same stored rows at the end.
 */
export function bulkSuite(backend: TestBackend): void {
  describe(`bulk save (${backend.name})`, () => {
    let bulk: TestStore;
    let plain: TestStore;
    before(async () => {
      bulk = await backend.open();
      plain = await backend.open();
    });
    after(async () => {
      await bulk?.dispose();
      await plain?.dispose();
    });
    const bulkSave = (events: RawEvent[]) => bulkSaveEvents(bulk.database.db, events);
    const statuses = async (events: RawEvent[]) => (await bulkSave(events)).map((o) => o.status);

    it('answers like saveEvents and the model on random streams', async () => {
      const seed = Number(process.env.DIFF_SEED ?? Date.now() % 1_000_000);
      const events = dataset(seed, 1500);
      const rand = seededRandom(seed + 2);
      const model = new StoreModel();
      for (let i = 0; i < events.length; ) {
        // Batches up to 400 events, then events of earlier batches again, and one event twice in
        // a row (a repeat inside a batch is answered as its first copy, whatever came between).
        const batch = events.slice(i, i + 1 + Math.floor(rand() * 400));
        const earlier = new Set(Array.from({ length: i === 0 ? 0 : 3 }, () => Math.floor(rand() * i)));
        i += batch.length;
        for (const k of earlier) batch.push(events[k] as NostrEvent);
        const twice = Math.floor(rand() * batch.length);
        batch.splice(twice, 0, batch[twice] as NostrEvent);
        const raws = batch.map(raw);
        const expected = batch.map((e) => model.save(e));
        const got = (await bulkSave(raws)).map((o) => o.status);
        assert.deepEqual(got, expected, `bulk vs model, batch ending at ${i} (DIFF_SEED=${seed})`);
        const reference = (await plain.store.save(raws)).map((o) => o.status);
        assert.deepEqual(got, reference, `bulk vs saveEvents, batch ending at ${i} (DIFF_SEED=${seed})`);
      }
      const all = { limit: 100_000, now: 0 };
      assert.deepEqual(await collect(bulk.store, {}, all), await collect(plain.store, {}, all));
      for (const filter of [{ '#p': [hex(1, 'f')] }, { '#t': ['nostr'] }, { '#e': [events[3]?.id ?? ''] }]) {
        assert.deepEqual(await collect(bulk.store, filter, all), await collect(plain.store, filter, all));
      }
    });

    it('refuses NIP-09 tombstoned ids, in a later batch and later in the same one', async () => {
      const target = ev({ pubkey: ALICE, created_at: 1_000 });
      const later = ev({ pubkey: ALICE, created_at: 1_001 });
      const deletion = ev({
        pubkey: ALICE,
        kind: 5,
        tags: [
          ['e', target.event.id],
          ['e', later.event.id],
        ],
      });
      // A repeat inside a batch is answered as its first copy (saveEvents does the same).
      assert.deepEqual(await statuses([target, deletion, later, target]), [
        'stored',
        'stored',
        'deleted',
        'duplicate',
      ]);
      assert.deepEqual(await statuses([target, later]), ['deleted', 'deleted']);
      assert.deepEqual(await collect(bulk.store, { ids: [target.event.id, later.event.id] }), []);
    });

    it('refuses a vanished pubkey’s older events and gift wraps to it, keeps newer ones', async () => {
      const old = ev({ pubkey: BOB, created_at: 2_000, tags: [['t', 'x']] });
      const request = ev({ pubkey: BOB, kind: 62, created_at: 2_005, tags: [['relay', 'ALL_RELAYS']] });
      const older = ev({ pubkey: BOB, created_at: 2_004 });
      const wrap = ev({ pubkey: ALICE, kind: 1059, created_at: 2_003, tags: [['p', BOB]] });
      const newer = ev({ pubkey: BOB, created_at: 2_006 });
      assert.deepEqual(await statuses([old, request, older, wrap, newer]), [
        'stored',
        'stored',
        'vanished',
        'vanished',
        'stored',
      ] satisfies SaveStatus[]);
      assert.deepEqual(await statuses([old, wrap, newer]), ['vanished', 'vanished', 'duplicate']);
      const stored = await collect(bulk.store, { '#t': ['x'] });
      assert.deepEqual(stored, []);
    });

    it('a batch the database refuses is redone event by event: the bad one invalid, the rest kept', async () => {
      const pk = hex(11, 'da');
      const good1 = ev({ pubkey: pk, created_at: 1, tags: [['t', 'kept']] });
      const tooBig = ev({ pubkey: pk, kind: 2 ** 40 });
      const good2 = ev({ pubkey: pk, created_at: 2, tags: [['t', 'kept']] });
      assert.deepEqual(await statuses([good1, tooBig, good2, good1]), [
        'stored',
        'invalid',
        'stored',
        'duplicate',
      ]);
      assert.deepEqual(
        (await collect(bulk.store, { '#t': ['kept'] })).map((e) => e.id),
        [good2.event.id, good1.event.id],
      );
    });

    it('writes tags and answers duplicates of a large run', async () => {
      const run = Array.from({ length: 5000 }, (_, n) =>
        ev({ created_at: 3_000 + n, tags: [['t', `n${n % 7}`]] }),
      );
      const first = await statuses([...run, run[0] as RawEvent]);
      assert.equal(first.filter((s) => s === 'stored').length, 5000);
      assert.equal(first.at(-1), 'duplicate');
      assert.ok((await statuses(run)).every((s) => s === 'duplicate'));
      assert.equal((await collect(bulk.store, { '#t': ['n3'] }, { limit: 10_000 })).length, 714);
    });
  });
}
