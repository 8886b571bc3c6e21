import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NegentropyItems } from '@nrelay/protocol';
import { pgliteBackend, postgresBackend, type TestBackend, type TestStore } from './testing/backends.js';
import { ALICE, BOB, CAROL, ev, hex } from './testing/events.js';

const NOW = 1_700_000_100;
const DM = 4;
const viewer = (pubkeys: string[]) => ({ pubkeys, privilegedKinds: [DM, 1059] });

/** The (created_at, id hex) pairs of a packed item set, in its order. */
function unpack(packed: Uint8Array): Array<[number, string]> {
  const items = new NegentropyItems(packed);
  return Array.from({ length: items.size }, (_, i) => [
    items.timestamp(i),
    Buffer.from(items.id(i)).toString('hex'),
  ]);
}

function itemsSuite(backend: TestBackend) {
  describe(`EventStore.items (${backend.name})`, () => {
    let t: TestStore;
    const notes = [3, 1, 2, 2, 5].map((ts, i) =>
      ev({ id: hex(0x50 - i, 'a'), created_at: NOW - 100 + ts, kind: 1 }),
    );
    const tagged = ev({ id: hex(1, 'b'), created_at: NOW - 50, kind: 7, tags: [['e', hex(9)]] });
    const dmToBob = ev({
      id: hex(2, 'b'),
      created_at: NOW - 40,
      kind: DM,
      pubkey: ALICE,
      tags: [['p', BOB]],
    });
    const expired = ev({
      id: hex(3, 'b'),
      created_at: NOW - 30,
      kind: 1,
      tags: [['expiration', String(NOW - 1)]],
    });

    before(async () => {
      t = await backend.open();
      const outcomes = await t.store.save([...notes, tagged, dmToBob, expired]);
      assert.ok(outcomes.every((o) => o.status === 'stored'));
    });
    after(() => t.dispose());

    it('packs (created_at, id) in ascending order, ties by id', async () => {
      const got = unpack(await t.store.items({ kinds: [1] }, { limit: 100, now: NOW }));
      const want = notes
        .map((n) => [n.event.created_at, n.event.id] as [number, string])
        .sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1));
      assert.deepEqual(got, want);
    });

    it('stops at the limit and keeps a filter limit as the newest events', async () => {
      assert.equal(unpack(await t.store.items({ kinds: [1] }, { limit: 3, now: NOW })).length, 3);
      const newest = unpack(await t.store.items({ kinds: [1], limit: 1 }, { limit: 100, now: NOW }));
      assert.deepEqual(newest, [[NOW - 95, hex(0x4c, 'a')]]);
    });

    it('applies tags, expiry and the viewer like REQ', async () => {
      assert.deepEqual(unpack(await t.store.items({ '#e': [hex(9)] }, { limit: 10, now: NOW })), [
        [NOW - 50, tagged.event.id],
      ]);
      const everything = (v: ReturnType<typeof viewer>) =>
        t.store.items({}, { limit: 100, now: NOW, viewer: v });
      const anonymous = unpack(await everything(viewer([]))).map(([, id]) => id);
      assert.ok(!anonymous.includes(dmToBob.event.id), 'an anonymous viewer sees no DM');
      assert.ok(!anonymous.includes(expired.event.id), 'expired events never enter the set');
      assert.ok(!unpack(await everything(viewer([CAROL]))).some(([, id]) => id === dmToBob.event.id));
      assert.ok(unpack(await everything(viewer([BOB]))).some(([, id]) => id === dmToBob.event.id));
      assert.equal(
        (await t.store.items({ kinds: [DM] }, { limit: 10, now: NOW, viewer: viewer([]) })).length,
        0,
      );
    });

    it('answers an empty set and an aborted signal', async () => {
      assert.equal((await t.store.items({ kinds: [12345] }, { limit: 10, now: NOW })).length, 0);
      const aborted = AbortSignal.abort(new Error('stop'));
      await assert.rejects(t.store.items({}, { limit: 10, signal: aborted }), /stop/);
    });
  });
}

itemsSuite(pgliteBackend);
itemsSuite(postgresBackend);
