import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createEventStore } from '../event-store.js';
import { quarantinePubkey, restoreQuarantined } from '../quarantine.js';
import type { TestBackend, TestStore } from './backends.js';
import { ALICE, BOB, CAROL, ev, hex, ids } from './events.js';

const statuses = (outcomes: Array<{ status: string }>) => outcomes.map((o) => o.status);

/** NIP-62 requests to vanish: what they delete, what they refuse, what they leave. */
export function vanishSuite(backend: TestBackend): void {
  describe(`event store: NIP-62 vanish (${backend.name})`, () => {
    let t: TestStore;
    before(async () => {
      t = await backend.open(8);
    });
    after(async () => {
      await t?.dispose();
    });

    it('deletes the pubkey’s events up to the request, kind 5 and gift wraps to it included', async () => {
      const pk = hex(1, 'd1');
      const note = ev({ pubkey: pk, kind: 1, created_at: 100 });
      const profile = ev({ pubkey: pk, kind: 0, created_at: 90 });
      const article = ev({ pubkey: pk, kind: 30023, created_at: 95, tags: [['d', 'x']] });
      const deletion = ev({ pubkey: pk, kind: 5, created_at: 99, tags: [['e', hex(0xdead)]] });
      const later = ev({ pubkey: pk, kind: 1, created_at: 300 });
      const wrapOld = ev({ pubkey: BOB, kind: 1059, created_at: 150, tags: [['p', pk]] });
      const wrapNew = ev({ pubkey: BOB, kind: 1059, created_at: 250, tags: [['p', pk]] });
      const wrapOther = ev({ pubkey: BOB, kind: 1059, created_at: 150, tags: [['p', CAROL]] });
      const mention = ev({ pubkey: BOB, kind: 1, created_at: 150, tags: [['p', pk]] });
      const all = [note, profile, article, deletion, later, wrapOld, wrapNew, wrapOther, mention];
      assert.ok(statuses(await t.store.save(all)).every((s) => s === 'stored'));

      const request = ev({ pubkey: pk, kind: 62, created_at: 200, tags: [['relay', 'ALL_RELAYS']] });
      assert.deepEqual(statuses(await t.store.save([request])), ['stored']);
      assert.deepEqual(await ids(t.store, { authors: [pk] }), [later.event.id]);
      assert.deepEqual(await ids(t.store, { kinds: [1059], '#p': [pk] }), [wrapNew.event.id]);
      assert.deepEqual(await ids(t.store, { kinds: [1059], '#p': [CAROL] }), [wrapOther.event.id]);
      assert.deepEqual(await ids(t.store, { '#p': [pk], kinds: [1] }), [mention.event.id]);
      // The request itself is not an event a REQ returns.
      assert.deepEqual(await ids(t.store, { kinds: [62] }), []);
      assert.equal(await t.store.count([{ authors: [pk] }]), 1);
    });

    it('refuses what it covers for good; newer events and the same request again are accepted', async () => {
      const pk = hex(2, 'd2');
      const old = ev({ pubkey: pk, kind: 1, created_at: 100 });
      await t.store.save([old]);
      const request = ev({ pubkey: pk, kind: 62, created_at: 200, tags: [['relay', 'ALL_RELAYS']] });
      assert.deepEqual(statuses(await t.store.save([request])), ['stored']);
      const replaceable = ev({ pubkey: pk, kind: 0, created_at: 150 });
      const deletion = ev({ pubkey: pk, kind: 5, created_at: 200, tags: [['e', old.event.id]] });
      const wrap = ev({ pubkey: CAROL, kind: 1059, created_at: 190, tags: [['p', pk]] });
      const newer = ev({ pubkey: pk, kind: 1, created_at: 201 });
      const older = ev({ pubkey: pk, kind: 62, created_at: 150, tags: [['relay', 'ALL_RELAYS']] });
      assert.deepEqual(
        statuses(await t.store.save([old, replaceable, deletion, wrap, newer, request, older])),
        ['vanished', 'vanished', 'vanished', 'vanished', 'stored', 'duplicate', 'vanished'],
      );
      // A kind 5 naming the request (after it) is stored but lifts nothing.
      const undo = ev({ pubkey: pk, kind: 5, created_at: 300, tags: [['e', request.event.id]] });
      assert.deepEqual(statuses(await t.store.save([undo, old])), ['stored', 'vanished']);
      assert.deepEqual(await ids(t.store, { authors: [pk] }), [undo.event.id, newer.event.id]);
    });

    it('applies a request in the middle of a batch to what comes before and after it', async () => {
      const pk = hex(3, 'd3');
      const before1 = ev({ pubkey: pk, kind: 1, created_at: 100 });
      const request = ev({ pubkey: pk, kind: 62, created_at: 200, tags: [['relay', 'ALL_RELAYS']] });
      const after1 = ev({ pubkey: pk, kind: 1, created_at: 110 });
      const after2 = ev({ pubkey: pk, kind: 3, created_at: 210 });
      assert.deepEqual(statuses(await t.store.save([before1, request, after1, after2])), [
        'stored',
        'stored',
        'vanished',
        'stored',
      ]);
      assert.deepEqual(await ids(t.store, { authors: [pk] }), [after2.event.id]);
      // A newer request moves the line.
      const again = ev({ pubkey: pk, kind: 62, created_at: 300, tags: [['relay', 'ALL_RELAYS']] });
      assert.deepEqual(statuses(await t.store.save([again, after2])), ['stored', 'vanished']);
      assert.deepEqual(await ids(t.store, { authors: [pk] }), []);
    });

    it('deletes a banned author’s quarantined events up to the request too', async () => {
      const pk = hex(5, 'd5');
      const odd = { ...ev({ pubkey: pk, created_at: 100 }) };
      // A \u0000 escape in the text (valid JSON, refused by jsonb) must not fail the request.
      odd.raw = odd.raw.replace('"content": ""', '"content": "a\\u0000b"');
      const later = ev({ pubkey: pk, created_at: 300 });
      assert.deepEqual(statuses(await t.store.save([odd, later])), ['stored', 'stored']);
      assert.equal(await quarantinePubkey(t.database.db, pk, 1), 2);
      const request = ev({ pubkey: pk, kind: 62, created_at: 200, tags: [['relay', 'ALL_RELAYS']] });
      assert.deepEqual(statuses(await t.store.save([request])), ['stored']);
      const { rows } = await sql<{ id: string }>`select id from quarantined_events
        where pubkey = ${pk}`.execute(t.database.db);
      assert.deepEqual(
        rows.map((r) => r.id),
        [later.event.id],
      );
      // An unban brings back only what the request left.
      assert.equal(await restoreQuarantined(t.database.db, { pubkey: pk }), 1);
      assert.deepEqual(await ids(t.store, { authors: [pk] }), [later.event.id]);
    });

    it('holds after the store is reopened, and never lets a concurrent save slip past it', async () => {
      const pk = hex(4, 'd4');
      const burst = Array.from({ length: 60 }, (_, i) => ev({ pubkey: pk, kind: 1, created_at: 100 + i }));
      const request = ev({ pubkey: pk, kind: 62, created_at: 500, tags: [['relay', 'ALL_RELAYS']] });
      const saves = burst.map((e) => t.store.save([e]));
      const vanish = t.store.save([request]);
      await Promise.all([...saves, vanish]);
      assert.deepEqual(await ids(t.store, { authors: [pk] }), []);
      const reopened = createEventStore(t.database.db);
      assert.deepEqual(statuses(await reopened.save([burst[0]!])), ['vanished']);
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from vanish_requests
        where pubkey = ${pk}`.execute(t.database.db);
      assert.equal(rows[0]?.n, 1);
      assert.deepEqual(await ids(t.store, { authors: [ALICE], kinds: [62] }), []);
    });
  });
}
