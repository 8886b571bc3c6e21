import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestBackend, TestStore } from './backends.js';
import { ALICE, BOB, CAROL, collect, ev, hex, ids } from './events.js';

/** Storage, every filter field, ordering, paging, tags, count, search: on one backend. */
export function basicSuite(backend: TestBackend): void {
  describe(`event store basics (${backend.name})`, () => {
    let t: TestStore;
    before(async () => {
      t = await backend.open();
    });
    after(async () => {
      await t?.dispose();
    });

    it('stores once, answers duplicates, returns the raw text verbatim', async () => {
      const a = ev({ pubkey: hex(1, 'd1'), content: 'hi' });
      assert.deepEqual(await t.store.save([a]), [{ status: 'stored' }]);
      assert.deepEqual(await t.store.save([a, a]), [{ status: 'duplicate' }, { status: 'duplicate' }]);
      const b = ev({ pubkey: hex(1, 'd1') });
      assert.deepEqual(await t.store.save([b, b]), [{ status: 'stored' }, { status: 'duplicate' }]);
      const rows = await collect(t.store, { ids: [a.event.id] });
      assert.deepEqual(rows, [{ id: a.event.id, raw: a.raw }]);
    });

    it('answers every NIP-01 filter field', async () => {
      const pk = hex(2, 'd2');
      const e1 = ev({
        pubkey: pk,
        kind: 1,
        created_at: 100,
        tags: [
          ['t', 'nostr'],
          ['e', hex(9)],
        ],
      });
      const e2 = ev({
        pubkey: pk,
        kind: 7,
        created_at: 200,
        tags: [
          ['p', ALICE],
          ['t', 'Nostr'],
        ],
      });
      const e3 = ev({
        pubkey: CAROL,
        kind: 1,
        created_at: 300,
        tags: [
          ['t', 'nostr'],
          ['E', hex(9)],
        ],
      });
      await t.store.save([e1, e2, e3]);
      const [i1, i2, i3] = [e1.event.id, e2.event.id, e3.event.id];
      assert.deepEqual(await ids(t.store, { ids: [i1, i3, hex(404)] }), [i3, i1]);
      assert.deepEqual(await ids(t.store, { authors: [pk] }), [i2, i1]);
      assert.deepEqual(await ids(t.store, { authors: [pk], kinds: [7] }), [i2]);
      assert.deepEqual(await ids(t.store, { authors: [pk, CAROL], kinds: [1, 7] }), [i3, i2, i1]);
      assert.deepEqual(await ids(t.store, { kinds: [1], authors: [pk, CAROL] }), [i3, i1]);
      assert.deepEqual(await ids(t.store, { authors: [pk, CAROL], since: 150, until: 300 }), [i3, i2]);
      assert.deepEqual(await ids(t.store, { authors: [pk, CAROL], until: 199 }), [i1]);
      assert.deepEqual(await ids(t.store, { '#t': ['nostr'] }), [i3, i1]);
      assert.deepEqual(await ids(t.store, { '#t': ['nostr', 'Nostr'] }), [i3, i2, i1]);
      assert.deepEqual(await ids(t.store, { '#t': ['nostr'], kinds: [1], authors: [pk] }), [i1]);
      assert.deepEqual(await ids(t.store, { '#t': ['nostr'], '#e': [hex(9)] }), [i1]);
      assert.deepEqual(await ids(t.store, { '#E': [hex(9)] }), [i3]);
      assert.deepEqual(await ids(t.store, { '#p': [ALICE], since: 200, until: 200 }), [i2]);
      assert.deepEqual(await ids(t.store, { ids: [i1, i2], kinds: [7] }), [i2]);
      assert.deepEqual(await ids(t.store, { ids: [] }), []);
      assert.deepEqual(await ids(t.store, { authors: [pk], '#t': [] }), []);
      assert.deepEqual(await ids(t.store, { '#tt': ['nostr'] }), []);
      assert.deepEqual(await ids(t.store, { authors: [pk], since: 300, until: 100 }), []);
    });

    it('orders newest first, ties by lowest id, and honours limit', async () => {
      const pk = hex(3, 'd3');
      const evs = [
        ev({ pubkey: pk, created_at: 50, id: hex(0x30) }),
        ev({ pubkey: pk, created_at: 60, id: hex(0x32) }),
        ev({ pubkey: pk, created_at: 60, id: hex(0x31) }),
        ev({ pubkey: pk, created_at: 60, id: hex(0x3f) }),
        ev({ pubkey: pk, created_at: 70, id: hex(0x33) }),
      ];
      await t.store.save(evs);
      const order = [hex(0x33), hex(0x31), hex(0x32), hex(0x3f), hex(0x30)];
      assert.deepEqual(await ids(t.store, { authors: [pk] }), order);
      assert.deepEqual(await ids(t.store, { authors: [pk] }, { limit: 2 }), order.slice(0, 2));
      assert.deepEqual(await ids(t.store, { authors: [pk] }, { limit: 0 }), []);
      assert.deepEqual(await ids(t.store, { ids: order }, { limit: 3 }), order.slice(0, 3));
    });

    it('pages across page boundaries without gaps or repeats', async () => {
      const pk = hex(4, 'd4');
      const evs = Array.from({ length: 37 }, (_, i) =>
        ev({
          pubkey: pk,
          kind: i % 2 ? 1 : 7,
          created_at: 1000 + Math.floor(i / 3),
          tags: [['t', `p${i % 4}`]],
        }),
      );
      await t.store.save(evs);
      const all = await ids(t.store, { authors: [pk] });
      assert.equal(all.length, 37);
      for (const pageSize of [1, 2, 3, 4, 5, 36, 37, 500]) {
        assert.deepEqual(await ids(t.store, { authors: [pk] }, { pageSize }), all);
        assert.deepEqual(await ids(t.store, { authors: [pk] }, { pageSize, limit: 23 }), all.slice(0, 23));
        const tagged = await ids(t.store, { '#t': ['p0', 'p1', 'p2', 'p3'] }, { pageSize });
        assert.deepEqual(tagged, all);
        assert.deepEqual(await ids(t.store, { kinds: [1, 7], authors: [pk] }, { pageSize }), all);
      }
    });

    it('stops paging when the signal aborts', async () => {
      const pk = hex(5, 'd5');
      await t.store.save(Array.from({ length: 10 }, (_, i) => ev({ pubkey: pk, created_at: 10 + i })));
      const controller = new AbortController();
      const seen: string[] = [];
      await assert.rejects(async () => {
        for await (const page of t.store.query(
          { authors: [pk] },
          { limit: 10, pageSize: 3, signal: controller.signal },
        )) {
          seen.push(...page.map((row) => row.id));
          controller.abort();
        }
      });
      assert.equal(seen.length, 3);
    });

    it('indexes tags by letter and value; duplicates and long values are fine', async () => {
      const value = hex(6, 'aa');
      const long = 'x'.repeat(5000);
      const pTagged = ev({ pubkey: hex(6, 'd6'), tags: [['p', value]] });
      const both = ev({
        pubkey: hex(6, 'd6'),
        tags: [
          ['e', value],
          ['e', value],
          ['e', hex(7)],
          ['r', long],
        ],
      });
      const nul = ev({
        pubkey: hex(6, 'd6'),
        tags: [
          ['t', 'a\u0000b'],
          ['t', '\u0001x'],
        ],
      });
      assert.deepEqual(
        (await t.store.save([pTagged, both, nul])).map((o) => o.status),
        ['stored', 'stored', 'stored'],
      );
      assert.deepEqual(await ids(t.store, { '#e': [value] }), [both.event.id]);
      assert.deepEqual(await ids(t.store, { '#p': [value] }), [pTagged.event.id]);
      assert.deepEqual(await ids(t.store, { '#e': [value, hex(7)] }), [both.event.id]);
      assert.deepEqual(await ids(t.store, { '#r': [long] }), [both.event.id]);
      assert.deepEqual(await ids(t.store, { '#r': [`${long}y`] }), []);
      assert.deepEqual(await ids(t.store, { '#t': ['a\u0000b'] }), [nul.event.id]);
      assert.deepEqual(await ids(t.store, { '#t': ['\u0001x'] }), [nul.event.id]);
      assert.equal(await t.store.count([{ '#e': [value, hex(7)] }]), 1);
    });

    it('counts distinct events over several filters', async () => {
      const pk = hex(8, 'd8');
      await t.store.save([
        ev({ pubkey: pk, kind: 1, tags: [['t', 'c']] }),
        ev({ pubkey: pk, kind: 1 }),
        ev({ pubkey: pk, kind: 3 }),
      ]);
      assert.equal(await t.store.count([{ authors: [pk] }]), 3);
      assert.equal(
        await t.store.count([
          { authors: [pk], kinds: [1] },
          { authors: [pk], '#t': ['c'] },
        ]),
        2,
      );
      assert.equal(await t.store.count([{ authors: [pk], limit: 1 }]), 3);
      assert.equal(await t.store.count([{ authors: [pk], kinds: [] }]), 0);
      assert.equal(await t.store.count([]), 0);
    });

    it('searches content, ranked, ignoring NIP-50 extensions', async () => {
      const pk = hex(9, 'd9');
      const a = ev({ pubkey: pk, content: 'the purple banana republic', created_at: 10 });
      const b = ev({ pubkey: pk, content: 'banana banana bread', created_at: 5 });
      const c = ev({ pubkey: pk, content: 'apples only', created_at: 20 });
      await t.store.save([a, b, c, ev({ pubkey: pk, content: '' })]);
      assert.deepEqual(await ids(t.store, { search: 'banana', authors: [pk] }), [b.event.id, a.event.id]);
      assert.deepEqual(await ids(t.store, { search: 'banana include:spam', authors: [pk] }), [
        b.event.id,
        a.event.id,
      ]);
      assert.deepEqual(await ids(t.store, { search: 'banana -bread', authors: [pk] }), [a.event.id]);
      assert.deepEqual(await ids(t.store, { search: 'banana', authors: [pk] }, { limit: 1, pageSize: 1 }), [
        b.event.id,
      ]);
      assert.deepEqual(await ids(t.store, { search: 'banana', authors: [pk] }, { pageSize: 1 }), [
        b.event.id,
        a.event.id,
      ]);
      assert.equal(await t.store.count([{ search: 'apples', authors: [pk] }]), 1);
    });

    it('keeps the good events of a batch that holds a bad one', async () => {
      const pk = hex(10, 'da');
      const good1 = ev({ pubkey: pk, created_at: 1 });
      const tooBig = ev({ pubkey: pk, kind: 2 ** 40 });
      const ephemeral = ev({ pubkey: pk, kind: 20001 });
      const good2 = ev({ pubkey: pk, created_at: 2, tags: [['e', hex(1)]] });
      const nul = { event: ev({ pubkey: pk }).event, raw: '{"content":"\u0000"}' };
      const outcomes = await t.store.save([good1, tooBig, ephemeral, good2, nul]);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['stored', 'invalid', 'invalid', 'stored', 'invalid'],
      );
      assert.deepEqual(await ids(t.store, { authors: [pk] }), [good2.event.id, good1.event.id]);
      assert.deepEqual(await ids(t.store, { '#e': [hex(1)], authors: [pk] }), [good2.event.id]);
    });

    it('does not mix authors', async () => {
      const x = ev({ pubkey: BOB, created_at: 1 });
      await t.store.save([x]);
      assert.ok(!(await ids(t.store, { authors: [hex(3, 'd3')] })).includes(x.event.id));
    });
  });
}
